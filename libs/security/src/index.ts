// Who may call what: keys from files, Logto access-token and machine-token verification, the one
// authorization rule (evaluateAccess), the global default-deny guard and the decorators routes use to
// declare their callers. Exports what other libs, the app, tests, scripts and bench use.
export { ACCESS_POLICY, type AccessPolicy, Authenticated, Authorize, MachineAuth } from './access/access-policy';
export { AccessModule } from './access/access.module';
export { AuditEvent } from './audit/audit-event.entity';
export { AuditEventDto, AuditEventPage } from './audit/audit-events.controller';
export { actorOf, actorShownTo, type AuditEntry, AuditTrail, type ChangedBy } from './audit/audit-trail';
export { type AccessDenial, type AccessRequirement, type AccessVerdict, evaluateAccess, hasPlatformScope, type TokenKind } from './access/evaluate-access';
export type { LogtoPrincipal, MachinePrincipal, Principal } from './access/principal';
export { callerKeyOf, CurrentPrincipal } from './access/request-principal';
export { bearerChallenge, SecurityError, securityErrorFor } from './access/security-errors';
export { TENANT_ACCESS_DIRECTORY, type TenantAccessDirectory, type TenantAccessFacts } from './access/tenant-access';
export { type LogtoAuthConfig, logtoAuthConfig, logtoAuthConfigSchema } from './logto/logto-auth.config';
// The bench measures the Logto verifier on its own.
export { LogtoJwks } from './logto/logto-jwks';
export { LogtoTokenVerifier } from './logto/logto-token-verifier';
export { isCanonicalCompactJws, readBearerToken } from './tokens/bearer-token';
export { TokenVerifier } from './tokens/token-verifier';
export {
  generateKeyPair,
  generateSessionKey,
  isKeyPurpose,
  KEY_PURPOSES,
  Keyring,
  KeyringError,
  KeysModule,
  keysConfigSchema,
  LICENSE_KEYRING,
  loadKeyring,
  MACHINE_KEYRING,
  PLATFORM_KEYRING,
  SealedValueRejected,
  SessionSealer,
  SIGNING_KID_ENV,
  type SigningKey,
} from './keys';
export { DATA_PLANE_TENANT, MACHINE_TOKEN_KINDS, MachineTokenService, type MachineTokensConfig, machineTokensConfig, machineTokensConfigSchema } from './machine';
export { type MembershipRevocationReason, type Revocation, type RevocationReason, type UserRevocationReason } from './revocations/revocation-index';
export { type MembershipRemovalTimes, PRINCIPAL_REVOCATION_TOPIC, PrincipalRevocations } from './revocations/principal-revocations';
export { PrincipalRevocation } from './revocations/principal-revocation.entity';
export { type RevocationsConfig, revocationsConfig, revocationsConfigSchema } from './revocations/revocations.config';
// The specs run a purge on demand.
export { RevocationsPurge } from './revocations/revocations-purge';
export { SecurityModule } from './security.module';
