import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { findPage, isUuid, Page, PageQuery } from '@app/service-core';
import { AuditTrail, MachinePrincipal } from '@app/security';
import { EventOutbox } from '@app/events';
import { LicensingService } from '@app/licensing';
import { TenantsService } from '@app/tenants';
import { Agent, Ed25519PublicJwk } from './agent.entities';
import { AgentEvents } from './agent-events';
import { AgentsError, invalidToken } from './agents.errors';

export interface AgentView {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly environment: string | null;
  readonly publicKey: Ed25519PublicJwk;
  readonly enabled: boolean;
  readonly disabledAt: Date | null;
  readonly disabledBy: string | null;
  readonly createdAt: Date;
  readonly lastSeenAt: Date | null;
}

export interface AgentSelf {
  readonly agent: AgentView;
  readonly tenant: { readonly id: string; readonly slug: string; readonly name: string; readonly status: string };
  /** A freshly signed license token, or null when the tenant has no usable license. */
  readonly license: string | null;
}

function agentView(agent: Agent): AgentView {
  const { id, tenantId, name, environment, enabled, disabledAt, disabledBy, createdAt, lastSeenAt } = agent;
  return { id, tenantId, name, environment, publicKey: { kty: 'OKP', crv: 'Ed25519', x: agent.publicKeyJwk.x }, enabled, disabledAt, disabledBy, createdAt, lastSeenAt };
}

function agentNotFound(): AgentsError {
  return new AgentsError('NOT_FOUND', 'No such agent.');
}

/** Registered agents as operators, tenant admins and the agents themselves see them: a tenant's list, disabling, /me. */
@Injectable()
export class AgentAdminService {
  private readonly logger = new Logger('Agents');

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly licensing: LicensingService,
    private readonly audit: AuditTrail,
    private readonly outbox: EventOutbox,
    private readonly events: AgentEvents,
  ) {}

  async list(tenantId: string, query: PageQuery): Promise<Page<AgentView>> {
    await this.tenants.get(tenantId);
    const page = await findPage(this.dataSource.getRepository(Agent), query, { where: { tenantId }, order: { createdAt: 'DESC', id: 'DESC' } });
    return { ...page, items: page.items.map(agentView) };
  }

  /** Disables an agent: no new tokens, and forward-auth refuses its tokens once AGENT_STATUS reports the disable. */
  async disable(tenantId: string, agentId: string, disabledBy: string, sourceIp: string | undefined): Promise<AgentView> {
    await this.tenants.get(tenantId);
    if (!isUuid(agentId)) {
      throw agentNotFound();
    }
    const { agent, changed } = await this.dataSource.transaction(async (manager) => {
      const updated = await manager.update(Agent, { id: agentId, tenantId, enabled: true }, { enabled: false, disabledAt: () => 'clock_timestamp()', disabledBy });
      const found = await manager.findOneBy(Agent, { id: agentId, tenantId });
      if (found === null) {
        throw agentNotFound();
      }
      if (updated.affected === 1) {
        await this.audit.record({ tenantId, actor: disabledBy, action: 'agent.disabled', targetId: agentId, sourceIp }, manager);
        await this.outbox.append(manager, { type: 'agent.disabled', tenantId, data: { agentId } });
      }
      return { agent: found, changed: updated.affected === 1 };
    });
    if (changed) {
      this.logger.warn(`agent ${agentId} of tenant ${tenantId} disabled by ${disabledBy}`);
    }
    // Emitted even when it was already disabled: a replica that missed the first notification hears it now.
    this.events.emit({ type: 'disabled', agentId, tenantId });
    return agentView(agent);
  }

  /** The calling agent, its tenant and a fresh license token; a disabled (or vanished) agent gets 401. */
  async self(principal: MachinePrincipal): Promise<AgentSelf> {
    const agent = isUuid(principal.subject) && isUuid(principal.tenantId) ? await this.dataSource.manager.findOneBy(Agent, { id: principal.subject, tenantId: principal.tenantId, enabled: true }) : null;
    if (agent === null) {
      throw invalidToken();
    }
    const tenant = await this.tenants.get(agent.tenantId);
    const usable = await this.licensing.usableLicense(agent.tenantId);
    return {
      agent: agentView(agent),
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status },
      license: usable === undefined ? null : await this.licensing.sign(usable.license, tenant),
    };
  }
}
