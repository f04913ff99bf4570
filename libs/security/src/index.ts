// Who may call what: keys from files, Logto access-token and machine-token verification, the one
// authorization rule (evaluateAccess), the global default-deny guard and the decorators routes use to
// declare their callers.
export * from './access/access-policy';
export * from './access/access.module';
export * from './access/evaluate-access';
export * from './access/principal';
export * from './access/request-principal';
export * from './access/security-errors';
export * from './access/tenant-access';
export { type LogtoAuthConfig, logtoAuthConfigSchema } from './logto/logto-auth.config';
// The bench measures the Logto verifier on its own.
export { LogtoJwks } from './logto/logto-jwks';
export { LogtoTokenVerifier } from './logto/logto-token-verifier';
export { readBearerToken } from './tokens/bearer-token';
export { type AcceptedTokens, TokenVerifier } from './tokens/token-verifier';
export * from './keys';
export * from './machine';
export * from './security.module';
