import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { SecurityModule } from '@app/security';
import { TenantsModule } from '@app/tenants';
import { LogtoWebhookController } from './http/logto-webhook.controller';
import { LogtoWebhookHandlers } from './logto-webhook-handlers';
import { LogtoWebhookRateLimit } from './logto-webhook-rate-limit';
import { logtoWebhooksConfig } from './logto-webhooks.config';

/**
 * The receiver of Logto's webhook (POST /api/webhooks/logto): a member removed, a user deleted or suspended, an
 * organization deleted or changed in Logto reaches the platform within a second. The app's throttler imports it
 * for LogtoWebhookRateLimit.
 */
@Module({
  imports: [ConfigModule.forFeature(logtoWebhooksConfig), SecurityModule, TenantsModule],
  controllers: [LogtoWebhookController],
  providers: [LogtoWebhookHandlers, LogtoWebhookRateLimit],
  exports: [LogtoWebhookRateLimit],
})
export class LogtoWebhooksModule {}
