import { CodedError, ErrorCatalog } from '@app/service-core';
import type { AccessDenial } from './evaluate-access';

/** Every answer of the security lib: who is not let in, and why (as much as the caller may learn). */
export const SECURITY_ERRORS = {
  UNAUTHORIZED: { status: 401, title: 'Authentication required' },
  INVALID_TOKEN: { status: 401, title: 'Invalid token' },
  INSUFFICIENT_SCOPE: { status: 403, title: 'Insufficient scope' },
  ACCESS_NOT_DECLARED: { status: 403, title: 'Access not declared' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  TENANT_PROVISIONING: { status: 403, title: 'Tenant provisioning' },
  TENANT_SUSPENDED: { status: 403, title: 'Tenant suspended' },
  TENANT_DELETED: { status: 403, title: 'Tenant deleted' },
} as const satisfies ErrorCatalog<string>;

export type SecurityErrorCode = keyof typeof SECURITY_ERRORS;

export class SecurityError extends CodedError<SecurityErrorCode> {
  readonly catalog = SECURITY_ERRORS;
}

/**
 * THE mapping from a denial to what the caller is told. 401 carries `WWW-Authenticate: Bearer`
 * (RFC 6750; `invalid_token` once a token was sent), 403 for a scope names it; the detail never says
 * which check of a token failed.
 */
export function securityErrorFor(denial: AccessDenial): SecurityError {
  switch (denial.reason) {
    case 'no_token':
      return new SecurityError('UNAUTHORIZED', 'This call needs a bearer token.', { headers: { 'www-authenticate': 'Bearer' } });
    case 'malformed_header':
      return invalidToken('The Authorization header must be exactly "Bearer <token>".');
    case 'invalid_token':
      return invalidToken('The bearer token is not valid here.');
    case 'token_not_accepted':
      return invalidToken('This call needs another kind of bearer token.');
    case 'not_declared':
      return new SecurityError('ACCESS_NOT_DECLARED', 'This route does not declare who may call it, so nobody may.');
    case 'insufficient_scope':
      return new SecurityError('INSUFFICIENT_SCOPE', `This call needs the ${denial.scope} scope.`, {
        headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${denial.scope}"` },
      });
    case 'not_found':
      // The same answer as for a tenant that does not exist: callers not bound to a tenant learn nothing about it.
      return new SecurityError('NOT_FOUND', 'No such tenant.');
    case 'tenant_not_active':
      return new SecurityError(`TENANT_${denial.status}`, `This tenant is ${denial.status.toLowerCase()}.`);
  }
}

function invalidToken(detail: string): SecurityError {
  return new SecurityError('INVALID_TOKEN', detail, { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
}

