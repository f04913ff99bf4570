import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { logtoAuthConfig, SecurityModule } from '@app/security';
import { edgeSessionsConfig } from './edge-sessions.config';
import { EdgeSessionsPurge } from './edge-sessions-purge';
import { EdgeSessions } from './edge-sessions.service';
import { LogoutFormBody } from './http/logout-form-body';
import { SessionsController } from './http/sessions.controller';
import { SignInController } from './http/sign-in.controller';
import { LogtoEdgeClient } from './logto-edge-client';
import { SignInRateLimit } from './sign-in-rate-limit';
import { SignInService } from './sign-in.service';

/**
 * Browser sign-in at the edge and the sessions it creates. Exports EdgeSessions (forward-auth's session path) and
 * SignInRateLimit (the app's throttler applies it).
 */
@Module({
  imports: [ConfigModule.forFeature(edgeSessionsConfig), ConfigModule.forFeature(logtoAuthConfig), SecurityModule],
  controllers: [SignInController, SessionsController],
  providers: [EdgeSessions, SignInService, LogtoEdgeClient, SignInRateLimit, EdgeSessionsPurge, LogoutFormBody],
  exports: [EdgeSessions, SignInRateLimit],
})
export class EdgeSessionsModule {}
