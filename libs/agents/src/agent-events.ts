import { Injectable } from '@nestjs/common';
import { EventChannel } from '@app/service-core';

/** What happened to an agent, for in-process listeners (AGENT_STATUS's onDisabled). */
export interface AgentEvent {
  readonly type: 'disabled';
  readonly agentId: string;
  readonly tenantId: string;
}

/** In-process agent events, emitted after the change is committed. */
@Injectable()
export class AgentEvents extends EventChannel<AgentEvent> {
  constructor() {
    super('AgentEvents');
  }
}
