// Who may call what: keys from files, Logto access-token and machine-token verification, the
// global default-deny guard and the decorators routes use to declare their callers.
export * from './access/access-policy';
export * from './access/auth-errors';
export * from './access/bearer-token';
export * from './access/principal';
export * from './access/request-principal';
export * from './access/tenant-access';
export * from './access/tenant-binding';
export * from './audit/audit-event.entity';
export * from './audit/audit-trail';
export * from './logto/logto-auth.config';
export * from './logto/logto-token-verifier';
export * from './logto/logto-signing-keys';
export * from './keys';
export * from './machine';
export * from './security.module';
