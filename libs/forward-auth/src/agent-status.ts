/**
 * Whether an agent may still use its access tokens: the one thing forward-auth asks of the agents lib
 * (which depends on forward-auth for this port only). Required: forward-auth refuses to boot without
 * a provider, so no wiring mistake can make it accept a disabled agent's token.
 */
export interface AgentStatus {
  /** False when the agent is unknown, disabled, or belongs to another tenant. */
  isActive(agentId: string, tenantId: string): Promise<boolean>;
  /**
   * Calls `listener` after an agent's disable is committed on this replica; forward-auth drops that
   * agent's cached tokens here and tells the other replicas. Returns the function that unsubscribes.
   */
  onDisabled(listener: (agentId: string) => void): () => void;
}

export const AGENT_STATUS = Symbol('AGENT_STATUS');
