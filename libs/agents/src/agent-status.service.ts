import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUuid } from '@app/service-core';
import { AgentStatus } from '@app/forward-auth';
import { Agent } from './agent.entities';
import { AgentEvents } from './agent-events';

/**
 * AGENT_STATUS for forward-auth: whether an agent may still use its tokens, one query per question (forward-auth
 * holds the only cache), and the disables committed on this replica (forward-auth tells the other replicas).
 */
@Injectable()
export class AgentStatusService implements AgentStatus {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: AgentEvents,
  ) {}

  async isActive(agentId: string, tenantId: string): Promise<boolean> {
    if (!isUuid(agentId) || !isUuid(tenantId)) {
      return false;
    }
    return this.dataSource.manager.existsBy(Agent, { id: agentId, tenantId, enabled: true });
  }

  onDisabled(listener: (agentId: string) => void): () => void {
    return this.events.on((event) => listener(event.agentId));
  }
}
