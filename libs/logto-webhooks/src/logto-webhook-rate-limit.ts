import { ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerOptions } from '@nestjs/throttler';
import { withRouteBudget } from '@app/service-core';
import { LogtoWebhooksConfig, logtoWebhooksConfig } from './logto-webhooks.config';

const LOGTO_WEBHOOK_RATE_LIMITED = 'cameleer:logto-webhook-rate-limited';

/** The Logto webhook route: throttled per client address with its own budget (LOGTO_WEBHOOK_RATE_LIMIT_*). */
export const LogtoWebhookRateLimited = (): MethodDecorator & ClassDecorator => SetMetadata(LOGTO_WEBHOOK_RATE_LIMITED, true);

/** What the app's throttler needs to know about the webhook route (as SignInRateLimit for the sign-in routes). */
@Injectable()
export class LogtoWebhookRateLimit {
  constructor(
    @Inject(logtoWebhooksConfig.KEY) private readonly config: LogtoWebhooksConfig,
    private readonly reflector: Reflector,
  ) {}

  /** `base`, except that on the webhook route LOGTO_WEBHOOK_RATE_LIMIT_MAX per LOGTO_WEBHOOK_RATE_LIMIT_WINDOW_MS applies. */
  appliedTo(base: ThrottlerOptions): ThrottlerOptions {
    const applies = (context: ExecutionContext): boolean =>
      this.reflector.getAllAndOverride<boolean | undefined>(LOGTO_WEBHOOK_RATE_LIMITED, [context.getHandler(), context.getClass()]) === true;
    return withRouteBudget(base, applies, this.config.rateLimit, 'logto-webhook');
  }
}
