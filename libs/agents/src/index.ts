// Agents: bootstrap tokens (a row per token, never the token), registration with the agent's own Ed25519 key,
// agent access tokens for signed assertions, disabling (AGENT_STATUS for forward-auth) and the audit trail.
export * from './agent.entities';
export * from './agents.config';
export * from './source-ip';
export * from './agent-public-key';
export * from './auth-failure-counter';
export * from './audit-log';
export * from './bootstrap-tokens.service';
export * from './agents.service';
export * from './agent-status.service';
export * from './agents.module';
