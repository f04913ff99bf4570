import { CodedError, ErrorCatalog } from '@app/service-core';
import type { AccessDenial, TokenKind } from './evaluate-access';

/** Every answer of the security lib: who is not let in, and why (as much as the caller may learn). */
export const SECURITY_ERRORS = {
  UNAUTHORIZED: { status: 401, title: 'Authentication required' },
  INVALID_TOKEN: { status: 401, title: 'Invalid token' },
  /** A genuine token (signature, issuer and audience verified) past its expiry. */
  TOKEN_EXPIRED: { status: 401, title: 'Token expired' },
  /** A genuine Logto organization token (audience `urn:logto:organization:<id>`): not a token for this API. */
  ORGANIZATION_TOKEN: { status: 401, title: 'Organization token not accepted' },
  /** A genuine token issued for another audience. */
  WRONG_AUDIENCE: { status: 401, title: 'Wrong token audience' },
  /** A token of a kind this call does not take (by its header `typ`, before any verification). */
  WRONG_TOKEN_KIND: { status: 401, title: 'Wrong kind of token' },
  INSUFFICIENT_SCOPE: { status: 403, title: 'Insufficient scope' },
  ACCESS_NOT_DECLARED: { status: 403, title: 'Access not declared' },
  NOT_FOUND: { status: 404, title: 'Not found' },
  TENANT_PROVISIONING: { status: 403, title: 'Tenant provisioning' },
  TENANT_SUSPENDED: { status: 403, title: 'Tenant suspended' },
  TENANT_DELETED: { status: 403, title: 'Tenant deleted' },
  /** A revocation asked for with an id that no Logto user or organization has (PrincipalRevocations, MemberRemovals). */
  INVALID_REVOCATION: { status: 422, title: 'Not a revocable Logto user or organization' },
} as const satisfies ErrorCatalog<string>;

export type SecurityErrorCode = keyof typeof SECURITY_ERRORS;

export class SecurityError extends CodedError<SecurityErrorCode> {
  readonly catalog = SECURITY_ERRORS;
}

/** What each kind of bearer token is called, in answers. */
const TOKEN_KIND_NAMES: Readonly<Record<TokenKind, string>> = {
  logto: 'a Logto access token for this API',
  agent: 'an agent access token',
  'agent-bootstrap': 'an agent bootstrap token',
  'data-plane': 'a data-plane token',
};

/** How to get a fresh token of each kind. */
const RENEWAL: Readonly<Record<TokenKind, string>> = {
  logto: 'request a new one from Logto',
  agent: 'sign a new assertion and trade it at POST /api/agents/token',
  'agent-bootstrap': 'ask an operator or a tenant admin for a new one',
  'data-plane': 'ask an operator to mint a new one (POST /api/events/tokens)',
};

/**
 * THE mapping from a denial to what the caller is told. 401 carries `WWW-Authenticate: Bearer`
 * (RFC 6750; `invalid_token` once a token was sent), 403 for a scope names it; both carry the detail as
 * `error_description`. A token that does not verify gets one answer whatever failed (signature, unknown key,
 * issuer, claims): only a genuine token's expiry or audience, and a kind mix-up read from the header the caller
 * wrote, are told apart.
 */
export function securityErrorFor(denial: AccessDenial): SecurityError {
  switch (denial.reason) {
    case 'no_token':
      return new SecurityError('UNAUTHORIZED', 'This call needs a bearer token.', { headers: { 'www-authenticate': 'Bearer' } });
    case 'malformed_header':
      return invalidToken('INVALID_TOKEN', 'The Authorization header must be exactly: Bearer <token>, the token a compact JWS.');
    case 'invalid_token':
      return invalidToken('INVALID_TOKEN', 'The bearer token is not valid here.');
    case 'token_not_accepted':
      return invalidToken('WRONG_TOKEN_KIND', wrongKindDetail(denial));
    case 'token_expired':
      return invalidToken('TOKEN_EXPIRED', `The bearer token (${TOKEN_KIND_NAMES[denial.kind]}) has expired: ${RENEWAL[denial.kind]}.`);
    case 'organization_token':
      return invalidToken(
        'ORGANIZATION_TOKEN',
        `A Logto organization token is not a token for this API: request an organization-scoped API token instead, with resource=${denial.audience} and organization_id=<the organization id> (for platform calls, resource=${denial.audience} alone).`,
      );
    case 'wrong_audience':
      return invalidToken('WRONG_AUDIENCE', `The bearer token was issued for another audience: this call needs one for ${denial.audience}.`);
    case 'not_declared':
      return new SecurityError('ACCESS_NOT_DECLARED', 'This route does not declare who may call it, so nobody may.');
    case 'insufficient_scope': {
      const detail = `This call needs the ${denial.scope} scope.`;
      return new SecurityError('INSUFFICIENT_SCOPE', detail, { headers: { 'www-authenticate': bearerChallenge('insufficient_scope', detail, denial.scope) } });
    }
    case 'not_found':
      // The same answer as for a tenant that does not exist: callers not bound to a tenant learn nothing about it.
      return new SecurityError('NOT_FOUND', 'No such tenant.');
    case 'tenant_not_active':
      return new SecurityError(`TENANT_${denial.status}`, `This tenant is ${denial.status.toLowerCase()}.`);
  }
}

function wrongKindDetail(denial: Extract<AccessDenial, { reason: 'token_not_accepted' }>): string {
  if (denial.accepted === undefined) {
    return 'This call needs another kind of bearer token.';
  }
  const accepted = denial.accepted.map((kind) => TOKEN_KIND_NAMES[kind]).join(' or ');
  const sent = denial.sent === undefined ? 'a token of none of these kinds (an ID token or a license token is never a bearer token)' : TOKEN_KIND_NAMES[denial.sent];
  return `This call takes ${accepted}; ${sent} was sent.`;
}

function invalidToken(code: SecurityErrorCode, detail: string): SecurityError {
  return new SecurityError(code, detail, { headers: { 'www-authenticate': bearerChallenge('invalid_token', detail) } });
}

/**
 * An RFC 6750 §3 challenge: `Bearer error="…", error_description="…"` (and `scope` for insufficient_scope).
 * The description may hold only %x20-21 / %x23-5B / %x5D-7E: any other character becomes a space.
 */
export function bearerChallenge(error: 'invalid_token' | 'insufficient_scope', description: string, scope?: string): string {
  const quotedDescription = description.replace(/[^\x20\x21\x23-\x5B\x5D-\x7E]/g, ' ');
  return `Bearer error="${error}"${scope === undefined ? '' : `, scope="${scope}"`}, error_description="${quotedDescription}"`;
}
