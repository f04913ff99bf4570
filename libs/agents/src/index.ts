// Agents: bootstrap tokens (a row per token, never the token), registration with the agent's own Ed25519 key,
// agent access tokens for signed assertions, and disabling (AgentStatusService is forward-auth's AGENT_STATUS).
export { Agent, AgentAssertionJti, AgentBootstrapToken } from './agent.entities';
export { agentsConfigSchema } from './agents.config';
export { AgentAuthFailureCounter } from './auth-failure-counter';
export { AgentRateLimit } from './agent-rate-limit';
export { AgentStatusService } from './agent-status.service';
export { AgentsModule } from './agents.module';
