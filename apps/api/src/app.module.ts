import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ConfigModule } from '@nestjs/config';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import {
  createValidationPipe,
  DatabaseModule,
  databaseConfig,
  HealthModule,
  LoggingModule,
  MetricsModule,
  ProblemFilter,
  serviceConfig,
  ServiceConfig,
} from '@app/service-core';
import { LogtoClientModule, LogtoReadinessCheck } from '@app/logto-client';
import { AccessModule, SecurityModule } from '@app/security';
import { TenantsModule } from '@app/tenants';
import { LicensingModule } from '@app/licensing';
import { ForwardAuthModule } from '@app/forward-auth';
import { AgentRateLimit, AgentsModule, AgentStatusService } from '@app/agents';
import { EdgeSessionsModule, SignInRateLimit } from '@app/edge-sessions';
import { LogtoWebhookRateLimit, LogtoWebhooksModule } from '@app/logto-webhooks';
import { MembersModule } from '@app/members';
import { schema } from './database/schema';
import { EdgeBrowserSessions, EdgeBrowserSessionsModule, EdgeInvitationBrowser } from './edge-browser-sessions';
import { EdgeSessionRetirementModule } from './edge-session-retirement';

@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [serviceConfig, databaseConfig] }),
    LoggingModule,
    MetricsModule,
    DatabaseModule.forRoot(schema),
    HealthModule.forRoot({ imports: [LogtoClientModule], checks: [LogtoReadinessCheck] }),
    SecurityModule,
    AccessModule.forRoot({ tenantDirectory: TenantsModule }),
    TenantsModule,
    LicensingModule,
    AgentsModule,
    // Forward-auth asks the agents lib whether an agent may still use its tokens; it does not boot without that.
    // and the edge sessions for a browser's session cookie (without LOGTO_EDGE_APP_ID it stays bearer-only).
    ForwardAuthModule.forRoot({ imports: [AgentsModule, EdgeBrowserSessionsModule], agentStatus: AgentStatusService, browserSessions: EdgeBrowserSessions }),
    EdgeSessionsModule,
    EdgeSessionRetirementModule,
    LogtoWebhooksModule,
    // Members and invitations; the accept page reads the edge session cookie (bound here: the libs do not know each other).
    MembersModule.forRoot({ imports: [EdgeBrowserSessionsModule], browser: EdgeInvitationBrowser }),
    // After the feature modules, which keep their order (that of the routes in openapi.json).
    ThrottlerModule.forRootAsync({
      imports: [AgentsModule, EdgeSessionsModule, LogtoWebhooksModule],
      inject: [serviceConfig.KEY, AgentRateLimit, SignInRateLimit, LogtoWebhookRateLimit],
      // Every limit keys on the client address (TRUSTED_PROXIES); the agent routes, the sign-in routes and Logto's
      // webhook have their own budgets: AgentRateLimit, SignInRateLimit and LogtoWebhookRateLimit apply them to the
      // default throttler.
      useFactory: (config: ServiceConfig, agentRateLimit: AgentRateLimit, signInRateLimit: SignInRateLimit, webhookRateLimit: LogtoWebhookRateLimit) => [
        webhookRateLimit.appliedTo(signInRateLimit.appliedTo(agentRateLimit.appliedTo({ name: 'default', limit: config.rateLimit.max, ttl: config.rateLimit.windowMs }))),
      ],
    }),
  ],
  providers: [
    { provide: APP_FILTER, useClass: ProblemFilter },
    { provide: APP_PIPE, useFactory: createValidationPipe },
    // Rate limits first, so a flood of bad tokens is throttled before any signature is checked;
    // the default-deny AccessGuard comes from AccessModule.
    { provide: APP_GUARD, useClass: ThrottlerGuard },
  ],
})
export class AppModule {}
