import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditTrail, ChangedBy } from '@app/security';
import { EventOutbox } from '@app/events';
import { returnedRows } from '@app/service-core';
import { AfterCommit, StillStopped, Tenant, TenantRetirement } from '@app/tenants';
import { AgentEvents } from './agent-events';

const TENANT_DELETED = 'tenant_deleted';

/**
 * The agents lib's part in a tenant's delete and purge. The delete disables every agent of the tenant (audited and
 * in the feed as agent.disabled, one per agent, in the delete's transaction) and revokes its unused bootstrap
 * tokens; once committed, forward-auth hears of each disable (AGENT_STATUS's onDisabled, then the ChangeBus to the
 * other replicas) and refuses their tokens. The purge removes the agents (with their used assertion ids) and the
 * bootstrap tokens.
 */
@Injectable()
export class AgentRetirement implements OnModuleInit {
  readonly name = 'agents';
  private readonly logger = new Logger('Agents');

  constructor(
    private readonly retirement: TenantRetirement,
    private readonly audit: AuditTrail,
    private readonly outbox: EventOutbox,
    private readonly events: AgentEvents,
  ) {}

  onModuleInit(): void {
    this.retirement.register(this);
  }

  async retire(tenant: Tenant, by: ChangedBy, tx: EntityManager): Promise<AfterCommit | void> {
    const disabled = returnedRows<{ id: string }>(
      await tx.query(
        `UPDATE agents SET enabled = false, disabled_at = clock_timestamp(), disabled_by = $2
          WHERE tenant_id = $1 AND enabled RETURNING id`,
        [tenant.id, by.actor],
      ),
    );
    const agentIds = disabled.map((row) => row.id);
    for (const agentId of agentIds) {
      await this.audit.record({ tenantId: tenant.id, actor: by.actor, action: 'agent.disabled', targetId: agentId, sourceIp: by.sourceIp, reason: TENANT_DELETED }, tx);
      await this.outbox.append(tx, { type: 'agent.disabled', tenantId: tenant.id, data: { agentId } });
    }
    const revoked = returnedRows<{ id: string }>(
      await tx.query(`UPDATE agent_bootstrap_tokens SET revoked_at = clock_timestamp(), revoked_by = $2 WHERE tenant_id = $1 AND revoked_at IS NULL RETURNING id`, [
        tenant.id,
        by.actor,
      ]),
    );
    for (const token of revoked) {
      await this.audit.record({ tenantId: tenant.id, actor: by.actor, action: 'bootstrap_token.revoked', targetId: token.id, sourceIp: by.sourceIp, reason: TENANT_DELETED }, tx);
    }
    return () => {
      if (agentIds.length > 0) {
        this.logger.warn(`${agentIds.length} agent(s) of tenant ${tenant.slug} disabled: the tenant was deleted`);
      }
      agentIds.forEach((agentId) => this.events.emit({ type: 'disabled', agentId, tenantId: tenant.id }));
    };
  }

  /** The tenant's agents (their used assertion ids go with them: ON DELETE CASCADE) and bootstrap tokens removed. */
  async purge(tenant: Tenant, tx: EntityManager): Promise<AfterCommit | void> {
    const removed = returnedRows<{ id: string }>(await tx.query(`DELETE FROM agents WHERE tenant_id = $1 RETURNING id`, [tenant.id]));
    await tx.query(`DELETE FROM agent_bootstrap_tokens WHERE tenant_id = $1`, [tenant.id]);
    // A removed agent is refused like a disabled one; caches that still hold it hear of it.
    return () => removed.forEach((row) => this.events.emit({ type: 'disabled', agentId: row.id, tenantId: tenant.id }));
  }

  async describeStopped(tenant: Tenant, tx: EntityManager): Promise<StillStopped | undefined> {
    if (tenant.deletedAt === null) {
      return undefined;
    }
    // Disabled by this delete (disabled_at is the same transaction's clock_timestamp(), never before its now()).
    const [row] = await tx.query<{ count: string }[]>(`SELECT count(*) AS count FROM agents WHERE tenant_id = $1 AND NOT enabled AND disabled_at >= $2`, [tenant.id, tenant.deletedAt]);
    const count = Number(row?.count ?? 0);
    return count === 0
      ? undefined
      : {
          kind: this.name,
          count,
          action:
            `POST /api/tenants/${tenant.id}/bootstrap-tokens to register agents again once the tenant is resumed: ` +
            'the agents disabled at delete stay disabled and their keys cannot register again',
        };
  }
}
