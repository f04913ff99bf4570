import { CodedError, ErrorCatalog } from '@app/service-core';

/** What the agents lib answers with, and what each code means over HTTP. */
export const AGENTS_ERRORS = {
  /** As the validation pipe answers: the agent's public key is checked by the service, not by class-validator. */
  VALIDATION_FAILED: { status: 400, title: 'Bad Request' },
  /** A bootstrap or agent token that verified, but its row (or agent) says no: audited, unlike a forgery. */
  /** An Ed25519 public key of small order or not canonically encoded: signatures by it would prove nothing. */
  WEAK_PUBLIC_KEY: { status: 400, title: 'Weak public key' },
  INVALID_TOKEN: { status: 401, title: 'Invalid token' },
  INVALID_ASSERTION: { status: 401, title: 'Invalid assertion' },
  LICENSE_REQUIRED: { status: 403, title: 'License required' },
  LICENSE_LIMIT_REACHED: { status: 403, title: 'License limit reached' },
  /** No such agent or bootstrap token in this tenant. */
  NOT_FOUND: { status: 404, title: 'Not Found' },
  BOOTSTRAP_TOKEN_UNAVAILABLE: { status: 409, title: 'Bootstrap token unavailable' },
  /** Another agent (of any tenant, disabled or not) registered this public key: a copied key is no agent's identity. */
  PUBLIC_KEY_REGISTERED: { status: 409, title: 'Public key already registered' },
} as const satisfies ErrorCatalog<string>;

export type AgentsErrorCode = keyof typeof AGENTS_ERRORS;

export class AgentsError extends CodedError<AgentsErrorCode> {
  readonly catalog = AGENTS_ERRORS;
}

/** 401 with the RFC 6750 challenge, as the guard answers for a token that does not verify. */
export function invalidToken(): AgentsError {
  return new AgentsError('INVALID_TOKEN', 'The bearer token is not valid here.', { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
}

export function invalidAssertion(): AgentsError {
  return new AgentsError('INVALID_ASSERTION', 'The assertion is not valid.');
}
