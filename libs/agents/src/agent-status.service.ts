import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ChangeBus, EventChannel } from '@app/service-core';
import { AgentStatus, ExpiringLru } from '@app/forward-auth';
import { AgentsConfig, agentsConfig } from './agents.config';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * AGENT_STATUS for forward-auth: whether an agent may still use its tokens. A small cache (AGENT_STATUS_CACHE_TTL_MS)
 * dropped per agent when the ChangeBus says it changed, and entirely when notifications may have been missed.
 */
@Injectable()
export class AgentStatusService implements AgentStatus, OnModuleInit, OnModuleDestroy {
  private readonly cache = new ExpiringLru<string, { tenantId: string; enabled: boolean }>(10_000);
  /** Bumped on every invalidation: a lookup that raced with one is answered but not cached. */
  private epoch = 0;
  private readonly unsubscribe: (() => void)[] = [];
  private readonly disabled = new EventChannel<string>('AgentDisabled');

  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeBus,
    @Inject(agentsConfig.KEY) private readonly config: AgentsConfig,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.changes.subscribe((change) => {
        if (change.topic === 'agent') {
          this.epoch++;
          this.cache.delete(change.id);
          this.disabled.emit(change.id);
        }
      }),
      this.changes.onConnectionChange(() => {
        this.epoch++;
        this.cache.clear();
      }),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe.forEach((stop) => stop());
  }

  onDisabled(listener: (agentId: string) => void): () => void {
    return this.disabled.on(listener);
  }

  async isActive(agentId: string, tenantId: string): Promise<boolean> {
    if (!UUID.test(agentId)) {
      return false;
    }
    let entry = this.cache.get(agentId);
    if (entry === undefined) {
      const epoch = this.epoch;
      const [row] = await this.dataSource.query<{ tenant_id: string; enabled: boolean }[]>(`SELECT tenant_id, enabled FROM agents WHERE id = $1`, [agentId]);
      entry = row === undefined ? { tenantId: '', enabled: false } : { tenantId: row.tenant_id, enabled: row.enabled };
      if (epoch === this.epoch && this.config.statusCacheTtlMs > 0) {
        this.cache.set(agentId, entry, Date.now() + this.config.statusCacheTtlMs);
      }
    }
    return entry.enabled && entry.tenantId === tenantId;
  }
}
