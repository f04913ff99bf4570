import { bearerChallenge, securityErrorFor } from '@app/security';
import { CodedError, ErrorCatalog } from '@app/service-core';

/** What the agents lib answers with, and what each code means over HTTP. */
export const AGENTS_ERRORS = {
  /** As the validation pipe answers: the agent's public key is checked by the service, not by class-validator. */
  VALIDATION_FAILED: { status: 400, title: 'Bad Request' },
  /** An Ed25519 public key of small order or not canonically encoded: signatures by it would prove nothing. */
  WEAK_PUBLIC_KEY: { status: 400, title: 'Weak public key' },
  /** A bootstrap or agent token that verified, but its row (or agent) says no: audited, unlike a forgery. */
  INVALID_TOKEN: { status: 401, title: 'Invalid token' },
  /** A verified bootstrap token whose row is past its expiry: the security lib's code for an expired token. */
  TOKEN_EXPIRED: { status: 401, title: 'Token expired' },
  BOOTSTRAP_TOKEN_REVOKED: { status: 401, title: 'Bootstrap token revoked' },
  BOOTSTRAP_TOKEN_USED_UP: { status: 401, title: 'Bootstrap token used up' },
  INVALID_ASSERTION: { status: 401, title: 'Invalid assertion' },
  /** An assertion signed by the agent's registered key, but past its exp. */
  ASSERTION_EXPIRED: { status: 401, title: 'Assertion expired' },
  /** An assertion signed by the agent's registered key, but for another audience. */
  ASSERTION_WRONG_AUDIENCE: { status: 401, title: 'Wrong assertion audience' },
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
  return refusedToken('INVALID_TOKEN', 'The bearer token is not valid here.');
}

/**
 * Why a bootstrap token whose signature verified (the guard) may not be used, as its row says (`failedUseReason`).
 * The token is genuine, so its holder learns its state; anything else gets the answer of a token that does not verify.
 */
export function bootstrapTokenRefused(reason: string): AgentsError {
  switch (reason) {
    case 'expired': {
      // The guard's own answer for this token once past its exp: one code and one text for "expired".
      const expired = securityErrorFor({ allow: false, reason: 'token_expired', kind: 'agent-bootstrap' });
      return new AgentsError('TOKEN_EXPIRED', expired.detail, { headers: expired.headers });
    }
    case 'revoked':
      return refusedToken('BOOTSTRAP_TOKEN_REVOKED', 'The bootstrap token was revoked: ask an operator or a tenant admin for a new one.');
    case 'used_up':
      return refusedToken('BOOTSTRAP_TOKEN_USED_UP', 'The bootstrap token has been used as many times as it allows: ask an operator or a tenant admin for a new one.');
    default:
      return invalidToken();
  }
}

function refusedToken(code: AgentsErrorCode, detail: string): AgentsError {
  return new AgentsError(code, detail, { headers: { 'www-authenticate': bearerChallenge('invalid_token', detail) } });
}

/**
 * The answer to an assertion that is refused. `expired` and `bad_claim_aud` come only from verifyAssertion once
 * jose has verified the signature with the agent's registered key: its holder is told; everything else is one answer.
 */
export function invalidAssertion(reason?: string, expectedAudience?: string): AgentsError {
  if (reason === 'expired') {
    return new AgentsError('ASSERTION_EXPIRED', 'The assertion has expired: sign a new one for each request (exp at most 5 minutes ahead) and check the agent host clock.');
  }
  if (reason === 'bad_claim_aud' && expectedAudience !== undefined) {
    return new AgentsError('ASSERTION_WRONG_AUDIENCE', `The assertion's aud must be exactly ${expectedAudience}.`);
  }
  return new AgentsError('INVALID_ASSERTION', 'The assertion is not valid.');
}
