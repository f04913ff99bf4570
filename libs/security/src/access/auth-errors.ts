import { ProblemException } from '@app/service-core';

/**
 * 401 with `WWW-Authenticate: Bearer` (RFC 6750): `invalid_token` when a token was sent and is bad.
 * The detail never says which check failed beyond a coarse reason.
 */
export function unauthorized(detail: string, tokenSent: boolean): ProblemException {
  const challenge = tokenSent ? 'Bearer error="invalid_token"' : 'Bearer';
  return new ProblemException(401, tokenSent ? 'INVALID_TOKEN' : 'UNAUTHORIZED', detail, { headers: { 'www-authenticate': challenge } });
}

export function insufficientScope(scope: string): ProblemException {
  return new ProblemException(403, 'INSUFFICIENT_SCOPE', `This call needs the ${scope} scope.`, {
    headers: { 'www-authenticate': `Bearer error="insufficient_scope", scope="${scope}"` },
  });
}

/** The same answer as for a tenant that does not exist: callers not bound to a tenant learn nothing about it. */
export function tenantNotFound(): ProblemException {
  return new ProblemException(404, 'NOT_FOUND', 'No such tenant.');
}

export function routeNotDeclared(): ProblemException {
  return new ProblemException(403, 'ACCESS_NOT_DECLARED', 'This route does not declare who may call it, so nobody may.');
}
