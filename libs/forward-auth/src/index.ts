// Traefik ForwardAuth: for every request entering the platform, who is calling and for which tenant.
export type { AgentStatus } from './agent-status';
// The edge sessions as forward-auth uses them (bound in app.module).
export { NOT_A_MEMBER, SESSION_ENDED, type BrowserSession, type BrowserSessions, type BrowserSignIn } from './browser-sessions';
// The deploy test checks the stack strips exactly the headers forward-auth emits.
export { IDENTITY_HEADER_NAMES } from './decision';
export { forwardAuthConfigSchema } from './forward-auth.config';
export { ForwardAuthModule } from './forward-auth.module';
export { ForwardAuthServer } from './forward-auth.server';
