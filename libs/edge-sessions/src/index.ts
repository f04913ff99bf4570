// Browser sign-in at the edge (Logto authorization code + PKCE), server-side sessions behind an opaque cookie,
// their organization tokens (refresh single-flight across replicas) and revocation through the ChangeBus.
export { EdgeSession, EdgeSessionOrganizationToken, EdgeSignInAttempt } from './edge-session.entities';
export { type EdgeSessionsConfig, edgeSessionsConfigSchema } from './edge-sessions.config';
export { EDGE_SESSIONS_ERRORS, EdgeSessionError, type EdgeSessionErrorCode } from './edge-sessions.errors';
export { type ActiveSession, EDGE_SESSION_TOPIC, EdgeSessions } from './edge-sessions.service';
export { readCookie } from './http/cookies';
export { EdgeSessionsModule } from './edge-sessions.module';
// The specs run a purge on demand.
export { EdgeSessionsPurge } from './edge-sessions-purge';
export { SignInRateLimit } from './sign-in-rate-limit';
