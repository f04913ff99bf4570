import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUniqueViolation, isUuid } from '@app/service-core';
import { AuditTrail, MachinePrincipal, MachineTokenService } from '@app/security';
import { EventOutbox } from '@app/events';
import { License, LicensingService } from '@app/licensing';
import { Tenant, TenantsError, TenantsService } from '@app/tenants';
import { Agent, AGENT_PUBLIC_KEY_INDEX, AgentBootstrapToken } from './agent.entities';
import { parseAgentPublicKey } from './agent-public-key';
import { AGENT_TOKEN_TTL_S, assertionAudienceFor } from './agent-tokens.service';
import { AgentsError, bootstrapTokenRefused, invalidToken } from './agents.errors';
import { AgentAuthFailureCounter } from './auth-failure-counter';

export interface RegisterInput {
  readonly name: string;
  readonly environment?: string;
  readonly publicKey: unknown;
}

export interface RegisteredAgent {
  readonly agentId: string;
  readonly tenantId: string;
  readonly accessToken: string;
  readonly expiresIn: number;
  /** The `aud` every assertion of this agent must name. */
  readonly assertionAudience: string;
  /** The tenant's license token (license+jwt). */
  readonly license: string;
}

/** The bootstrap token's row could not be consumed; why is found afterwards, outside the rolled-back transaction. */
class TokenUseFailed extends Error {}

/** Registration refused by the tenant's license: the use is rolled back, the refusal audited. */
class RegistrationRefused extends Error {
  constructor(
    readonly reason: string,
    readonly refusal: AgentsError,
  ) {
    super(reason);
  }
}

/** Why a signed bootstrap token's row refused its use, as audited. */
function failedUseReason(row: AgentBootstrapToken, tenantId: string, now: Date): string {
  if (row.tenantId !== tenantId) {
    return 'wrong_tenant';
  }
  if (row.revokedAt !== null) {
    return 'revoked';
  }
  if (row.expiresAt.getTime() <= now.getTime()) {
    return 'expired';
  }
  return row.uses >= row.maxUses ? 'used_up' : 'unavailable';
}

/**
 * Registration with a bootstrap token: one use consumed atomically, the tenant's status, license and seat count
 * checked under the tenant's lock, and the agent's own public key stored (unique: uq_agents_public_key).
 */
@Injectable()
export class AgentRegistrationService {
  private readonly logger = new Logger('AgentRegistration');

  constructor(
    private readonly dataSource: DataSource,
    private readonly machine: MachineTokenService,
    private readonly tenants: TenantsService,
    private readonly licensing: LicensingService,
    private readonly audit: AuditTrail,
    private readonly outbox: EventOutbox,
    private readonly failures: AgentAuthFailureCounter,
  ) {}

  async register(principal: MachinePrincipal, input: RegisterInput, sourceIp: string | undefined): Promise<RegisteredAgent> {
    // A bad key is the caller's mistake: refused before the token's use is spent.
    const publicKeyJwk = parseAgentPublicKey(input.publicKey);
    const tokenId = principal.subject;
    const tenantId = principal.tenantId;
    const actor = `bootstrap_token:${tokenId}`;
    if (!isUuid(tokenId) || !isUuid(tenantId)) {
      this.failures.record('bootstrap_token', 'unknown_token', sourceIp);
      throw invalidToken();
    }
    let registered: { agent: Agent; license: License; tenant: Tenant };
    try {
      registered = await this.dataSource.transaction(async (manager) => {
        const consumed = await manager
          .createQueryBuilder()
          .update(AgentBootstrapToken)
          .set({ uses: () => 'uses + 1' })
          .where('id = :tokenId AND tenant_id = :tenantId AND revoked_at IS NULL AND expires_at > now() AND uses < max_uses', { tokenId, tenantId })
          .execute();
        if (consumed.affected === 0) {
          throw new TokenUseFailed();
        }
        // One registration at a time per tenant, so two cannot both take the last seat.
        const tenant = await this.tenants.lockActive(tenantId, manager);
        const usable = await this.licensing.usableLicense(tenantId, manager);
        if (usable === undefined) {
          throw new RegistrationRefused('license_required', new AgentsError('LICENSE_REQUIRED', 'The tenant has no usable license.'));
        }
        const maxAgents = Number(usable.license.limits.maxAgents ?? 0);
        if ((await manager.countBy(Agent, { tenantId, enabled: true })) >= maxAgents) {
          throw new RegistrationRefused(
            'license_limit_reached',
            new AgentsError('LICENSE_LIMIT_REACHED', `The tenant's license allows ${maxAgents} enabled agent(s).`),
          );
        }
        const agent = manager.create(Agent, { tenantId, name: input.name, environment: input.environment ?? null, publicKeyJwk });
        await manager.insert(Agent, agent).catch((error: unknown) => {
          throw isUniqueViolation(error, AGENT_PUBLIC_KEY_INDEX)
            ? new RegistrationRefused(
                'public_key_registered',
                new AgentsError('PUBLIC_KEY_REGISTERED', 'An agent is already registered with this public key; generate a new key pair for a new agent.'),
              )
            : error;
        });
        await this.audit.record({ tenantId, actor, action: 'bootstrap_token.used', targetId: tokenId, sourceIp }, manager);
        await this.audit.record({ tenantId, actor, action: 'agent.registered', targetId: agent.id, sourceIp }, manager);
        await this.outbox.append(manager, {
          type: 'agent.registered',
          tenantId,
          data: { agentId: agent.id, name: agent.name, environment: agent.environment, publicKeyJwk: agent.publicKeyJwk },
        });
        return { agent, license: usable.license, tenant };
      });
    } catch (error) {
      if (error instanceof TokenUseFailed) {
        throw bootstrapTokenRefused(await this.auditFailedUse(principal, sourceIp));
      }
      if (error instanceof RegistrationRefused || error instanceof TenantsError) {
        // The tenant is missing or not ACTIVE (lockActive), its license says no, or the key is taken: the use is rolled back.
        const reason = error instanceof RegistrationRefused ? error.reason : error.code === 'NOT_FOUND' ? 'tenant_not_found' : 'tenant_not_active';
        await this.audit.recordQuietly({ tenantId, actor, action: 'agent.registration_refused', targetId: tokenId, sourceIp, reason });
        throw error instanceof RegistrationRefused ? error.refusal : error;
      }
      throw error;
    }
    const { agent, license, tenant } = registered;
    this.logger.log(`agent ${agent.id} (${agent.name}) registered in tenant ${tenant.slug} with bootstrap token ${tokenId}`);
    const access = await this.machine.sign('agent', { sub: agent.id, tenantId, ttlSeconds: AGENT_TOKEN_TTL_S });
    return {
      agentId: agent.id,
      tenantId,
      accessToken: access.token,
      expiresIn: AGENT_TOKEN_TTL_S,
      assertionAudience: assertionAudienceFor(this.machine.issuer),
      license: await this.licensing.sign(license, tenant),
    };
  }

  /** Why a correctly signed bootstrap token could not be used, audited on the token's own tenant; the reason. */
  private async auditFailedUse(principal: MachinePrincipal, sourceIp: string | undefined): Promise<string> {
    const row = await this.dataSource.manager.findOneBy(AgentBootstrapToken, { id: principal.subject }).catch(() => null);
    if (row === null) {
      // No row of ours: nothing to attach it to, so it is counted like a forgery.
      this.failures.record('bootstrap_token', 'unknown_token', sourceIp);
      return 'unknown_token';
    }
    const reason = failedUseReason(row, principal.tenantId, new Date());
    await this.audit.recordQuietly({
      tenantId: row.tenantId,
      actor: `bootstrap_token:${principal.subject}`,
      action: 'bootstrap_token.use_failed',
      targetId: principal.subject,
      sourceIp,
      reason,
    });
    return reason;
  }
}
