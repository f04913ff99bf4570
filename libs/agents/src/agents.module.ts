import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { IdempotencyModule } from '@app/service-core';
import { callerKeyOf, SecurityModule } from '@app/security';
import { EventsModule } from '@app/events';
import { TenantsModule } from '@app/tenants';
import { LicensingModule } from '@app/licensing';
import { AgentAdminService } from './agent-admin.service';
import { AgentEvents } from './agent-events';
import { AgentRateLimit } from './agent-rate-limit';
import { AgentRetirement } from './agent-retirement';
import { AgentRegistrationService } from './agent-registration.service';
import { AgentStatusService } from './agent-status.service';
import { AgentTokensService } from './agent-tokens.service';
import { agentsConfig } from './agents.config';
import { AssertionJtiPurge } from './assertion-jti-purge';
import { AgentAuthFailureCounter } from './auth-failure-counter';
import { BootstrapTokensService } from './bootstrap-tokens.service';
import { AgentsController } from './http/agents.controller';
import { BootstrapTokenRestorer } from './http/bootstrap-token.restorer';
import { TenantAgentsController } from './http/tenant-agents.controller';

/**
 * Agents: bootstrap tokens, registration, agent access tokens, disabling. Exports AgentStatusService (the app
 * wires it into forward-auth as AGENT_STATUS) and AgentRateLimit (the app's throttler applies it).
 */
@Module({
  imports: [ConfigModule.forFeature(agentsConfig), SecurityModule, TenantsModule, LicensingModule, EventsModule, IdempotencyModule.forFeature({ callerOf: callerKeyOf })],
  controllers: [TenantAgentsController, AgentsController],
  providers: [
    BootstrapTokensService,
    AgentRegistrationService,
    AgentTokensService,
    AgentAdminService,
    AgentStatusService,
    AgentEvents,
    AssertionJtiPurge,
    AgentAuthFailureCounter,
    AgentRateLimit,
    BootstrapTokenRestorer,
    AgentRetirement,
  ],
  exports: [AgentStatusService, AgentRateLimit, AgentAuthFailureCounter],
})
export class AgentsModule {}
