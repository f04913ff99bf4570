// Logto Management API client (machine-to-machine): config namespace `logto`, token cache, typed calls for
// organizations and organization roles, typed errors, and a non-critical readiness check.
export * from './logto.config';
export * from './logto.errors';
export * from './logto.types';
// LogtoHttp and LogtoTokenSource also serve the `npm run logto:bootstrap` script's own Management API client.
export { LOGTO_CLIENT_OPTIONS, type LogtoClientOptions, LogtoHttp, type LogtoLogger } from './logto-http';
export { LogtoTokenSource } from './logto-token';
export * from './logto-management.client';
export * from './logto.readiness';
export * from './logto-client.module';
