import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditTrail, MachineTokenService } from '@app/security';
import { TenantsService } from '@app/tenants';
import { Agent, AgentAssertionJti } from './agent.entities';
import { AssertionUnverified, claimedAgentId, verifyAssertion } from './agent-assertion';
import { invalidAssertion } from './agents.errors';
import { AgentAuthFailureCounter } from './auth-failure-counter';

/** Lifetime of an agent access token (agent+jwt), the kind's maximum. */
export const AGENT_TOKEN_TTL_S = 900;

/** The audience an assertion must name: the token endpoint under this platform's public URL (the machine tokens' issuer). */
export function assertionAudienceFor(issuer: string): string {
  return `${issuer}/api/agents/token`;
}

export interface AgentAccessToken {
  readonly accessToken: string;
  readonly expiresIn: number;
}

/** Access tokens for proofs of possession: JWTs an agent signed with its own key (private_key_jwt style). */
@Injectable()
export class AgentTokensService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly machine: MachineTokenService,
    private readonly tenants: TenantsService,
    private readonly audit: AuditTrail,
    private readonly failures: AgentAuthFailureCounter,
  ) {}

  /** The audience an assertion must name: this API's token endpoint. */
  get assertionAudience(): string {
    return assertionAudienceFor(this.machine.issuer);
  }

  async exchange(assertion: string, sourceIp: string | undefined): Promise<AgentAccessToken> {
    let verified: { agent: Agent; jti: string; replayableUntil: Date };
    try {
      verified = await this.verified(assertion);
    } catch (error) {
      if (error instanceof AssertionUnverified) {
        this.failures.record('assertion', error.reason, sourceIp);
        throw invalidAssertion(error.reason, this.assertionAudience);
      }
      throw error;
    }
    const { agent, jti, replayableUntil } = verified;
    const actor = `agent:${agent.id}`;
    const refusal = await this.refusalOf(agent);
    if (refusal !== undefined) {
      await this.audit.recordQuietly({ tenantId: agent.tenantId, actor, action: 'agent.token_refused', targetId: agent.id, sourceIp, reason: refusal });
      throw invalidAssertion();
    }
    const fresh = await this.dataSource.transaction(async (manager) => {
      // Every replica inserts into the same table: exactly one use of a jti ever succeeds.
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(AgentAssertionJti)
        .values({ agentId: agent.id, jti, expiresAt: replayableUntil })
        .orIgnore()
        .returning('jti')
        .execute();
      if ((inserted.raw as unknown[]).length === 0) {
        return false;
      }
      await manager.update(Agent, { id: agent.id }, { lastSeenAt: () => 'clock_timestamp()' });
      await this.audit.record({ tenantId: agent.tenantId, actor, action: 'agent.token_refreshed', targetId: agent.id, sourceIp }, manager);
      return true;
    });
    if (!fresh) {
      await this.audit.recordQuietly({ tenantId: agent.tenantId, actor, action: 'agent.assertion_replayed', targetId: agent.id, sourceIp, reason: 'replayed_jti' });
      throw invalidAssertion();
    }
    const access = await this.machine.sign('agent', { sub: agent.id, tenantId: agent.tenantId, ttlSeconds: AGENT_TOKEN_TTL_S });
    return { accessToken: access.token, expiresIn: AGENT_TOKEN_TTL_S };
  }

  /** The agent whose registered key signed the assertion, and the assertion's jti. */
  private async verified(assertion: string): Promise<{ agent: Agent; jti: string; replayableUntil: Date }> {
    const agentId = claimedAgentId(assertion);
    const agent = await this.dataSource.manager.findOneBy(Agent, { id: agentId });
    if (agent === null) {
      throw new AssertionUnverified('unknown_agent');
    }
    return { agent, ...(await verifyAssertion(assertion, agentId, agent.publicKeyJwk, this.assertionAudience)) };
  }

  /** Why a verified agent gets no token: it is disabled, or its tenant is not ACTIVE. */
  private async refusalOf(agent: Agent): Promise<string | undefined> {
    if (!agent.enabled) {
      return 'agent_disabled';
    }
    const tenant = await this.tenants.findById(agent.tenantId);
    return tenant?.status === 'ACTIVE' ? undefined : 'tenant_not_active';
  }
}
