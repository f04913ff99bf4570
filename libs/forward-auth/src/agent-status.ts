/**
 * Whether an agent may still use its access tokens. Provided by the agents lib (which depends on
 * forward-auth's neighbours, not the other way round); without a provider, every agent token that
 * verifies is accepted.
 */
export interface AgentStatus {
  /** False when the agent is unknown, disabled, or belongs to another tenant. */
  isActive(agentId: string, tenantId: string): Promise<boolean>;
}

export const AGENT_STATUS = Symbol('AGENT_STATUS');
