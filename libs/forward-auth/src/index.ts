// Traefik ForwardAuth: for every request entering the platform, who is calling and for which tenant.
export type { AgentStatus } from './agent-status';
// The deploy test checks the stack strips exactly the headers forward-auth emits.
export { IDENTITY_HEADER_NAMES } from './decision';
export { forwardAuthConfigSchema } from './forward-auth.config';
export { ForwardAuthModule } from './forward-auth.module';
export { ForwardAuthServer } from './forward-auth.server';
