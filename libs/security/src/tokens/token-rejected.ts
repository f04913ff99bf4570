/**
 * Why a bearer token was refused: for logs and tests. The caller is told 401 invalid_token, and only `expired`,
 * `wrong_audience` and `organization_token` specifically: jose reports them after the signature and the issuer
 * verified, so they are facts about a genuine token.
 */
export type TokenRejection =
  | 'not_configured'
  | 'malformed'
  | 'wrong_type'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'organization_token'
  | 'missing_claim'
  /** Genuine, but its user was revoked after it was issued (PrincipalRevocations): told as invalid_token. */
  | 'revoked';

/** The audience of a Logto organization token (`urn:logto:organization:<id>`), which is never this API's. */
const LOGTO_ORGANIZATION_AUDIENCE = /^urn:logto:organization:/;

/**
 * Every verification failure, of a Logto or a machine token. The message is the reason code only: no
 * claim values, no library text and no `cause`, so logging or serialising it leaks nothing about the
 * token or the keys.
 */
export class TokenRejected extends Error {
  constructor(readonly reason: TokenRejection) {
    super(`token rejected: ${reason}`);
    this.name = 'TokenRejected';
  }
}

/** THE mapping from a jose verification error (by its stable `code`) to a reason; anything unrecognised fails closed as malformed. */
export function rejectionOf(error: unknown): TokenRejected {
  if (error instanceof TokenRejected) {
    return error;
  }
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JOSE_ALG_NOT_ALLOWED': // alg none, HS256, an algorithm off the allowlist: not an acceptable signature
      return new TokenRejected('bad_signature');
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return new TokenRejected('unknown_key');
    case 'ERR_JWT_EXPIRED': // exp passed, or iat older than the maximum token age
      return new TokenRejected('expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const { claim, reason } = error as { claim?: unknown; reason?: unknown };
      if (reason === 'missing') {
        return new TokenRejected('missing_claim');
      }
      if (reason !== 'check_failed') {
        return new TokenRejected('malformed'); // a claim of the wrong JSON type
      }
      switch (claim) {
        case 'typ':
          return new TokenRejected('wrong_type');
        case 'iss':
          return new TokenRejected('wrong_issuer');
        case 'aud': {
          const { payload } = error as { payload?: { aud?: unknown } };
          return new TokenRejected(typeof payload?.aud === 'string' && LOGTO_ORGANIZATION_AUDIENCE.test(payload.aud) ? 'organization_token' : 'wrong_audience');
        }
        case 'nbf':
        case 'iat':
          return new TokenRejected('not_yet_valid');
        default:
          return new TokenRejected('malformed');
      }
    }
    default:
      // ERR_JWS_INVALID, ERR_JWT_INVALID, ERR_JOSE_NOT_SUPPORTED (e.g. an unknown crit), TypeError, ...
      return new TokenRejected('malformed');
  }
}
