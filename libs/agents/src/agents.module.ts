import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { IdempotencyModule } from '@app/service-core';
import { callerKeyOf, SecurityModule } from '@app/security';
import { LicensingModule } from '@app/licensing';
import { AGENT_STATUS } from '@app/forward-auth';
import { AgentStatusService } from './agent-status.service';
import { agentsConfig } from './agents.config';
import { AgentsService } from './agents.service';
import { AuditLog } from './audit-log';
import { AgentAuthFailureCounter } from './auth-failure-counter';
import { BootstrapTokensService } from './bootstrap-tokens.service';
import { AgentAuthFailureFilter } from './http/agent-auth-failure.filter';
import { AgentsController } from './http/agents.controller';
import { TenantAgentsController } from './http/tenant-agents.controller';
import { BootstrapTokenRevealInterceptor } from './http/token-reveal.interceptor';
import { SourceIpResolver } from './source-ip.resolver';

/**
 * Agents: bootstrap tokens, registration, agent access tokens, disabling, the audit trail. Global so forward-auth
 * finds AGENT_STATUS (it refuses the tokens of disabled agents).
 */
@Global()
@Module({
  imports: [ConfigModule.forFeature(agentsConfig), SecurityModule, LicensingModule, IdempotencyModule.forFeature({ callerOf: callerKeyOf })],
  controllers: [TenantAgentsController, AgentsController],
  providers: [
    AgentsService,
    BootstrapTokensService,
    AuditLog,
    AgentAuthFailureCounter,
    SourceIpResolver,
    AgentStatusService,
    AgentAuthFailureFilter,
    BootstrapTokenRevealInterceptor,
    { provide: AGENT_STATUS, useExisting: AgentStatusService },
  ],
  exports: [AGENT_STATUS, AgentStatusService, AgentsService, BootstrapTokensService, AuditLog, AgentAuthFailureCounter],
})
export class AgentsModule {}
