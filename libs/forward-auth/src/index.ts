// Traefik ForwardAuth: for every request entering the platform, who is calling and for which tenant.
export { AGENT_STATUS, type AgentStatus } from './agent-status';
export { forwardAuthConfigSchema } from './forward-auth.config';
export { ForwardAuthModule, type ForwardAuthModuleOptions } from './forward-auth.module';
export { ForwardAuthServer } from './forward-auth.server';
export * from './expiring-lru';
