// Traefik ForwardAuth: for every request entering the platform, who is calling and for which tenant.
export type { AgentStatus } from './agent-status';
export { forwardAuthConfigSchema } from './forward-auth.config';
export { ForwardAuthModule } from './forward-auth.module';
export { ForwardAuthServer } from './forward-auth.server';
