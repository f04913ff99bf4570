import { decodeJwt, decodeProtectedHeader, JWTPayload, jwtVerify } from 'jose';
import { isCanonicalCompactJws } from '@app/security';
import { isUuid } from '@app/service-core';
import type { Ed25519PublicJwk } from './agent.entities';
import { publicKeyOf } from './agent-public-key';

/** An assertion may not claim to live longer than this. */
const ASSERTION_MAX_LIFETIME_S = 300;
/** Clock skew tolerated on an assertion's iat and exp (agents run on hosts we do not control). */
const ASSERTION_CLOCK_TOLERANCE_S = 5;
const MAX_ASSERTION_LENGTH = 4096;
const MAX_JTI_LENGTH = 128;

/** An assertion that could not be verified, with a coarse reason: counted, never audited (its content is the caller's). */
export class AssertionUnverified extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** What a verified assertion proves: a one-time jti and when the assertion stops being replayable. */
export interface VerifiedAssertion {
  readonly jti: string;
  readonly replayableUntil: Date;
}

/** Maps a jose verification error to a coarse reason code (the code only, never library text). */
function joseReason(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'bad_signature';
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (error as { claim?: unknown }).claim;
      return typeof claim === 'string' && /^[a-z_]{1,16}$/.test(claim) ? `bad_claim_${claim}` : 'bad_claim';
    }
    default:
      return 'malformed';
  }
}

/**
 * The agent an assertion claims to come from (iss = sub), read before any signature check so its key can be
 * found. Our own tokens (agent+jwt, agent-bootstrap+jwt, license+jwt) are never assertions.
 */
export function claimedAgentId(assertion: string): string {
  // One spelling per assertion, as for bearer tokens: jose would accept many for the same signature.
  if (assertion.length > MAX_ASSERTION_LENGTH || !isCanonicalCompactJws(assertion)) {
    throw new AssertionUnverified('malformed');
  }
  let agentId: unknown;
  try {
    const header = decodeProtectedHeader(assertion);
    if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT')) {
      throw new AssertionUnverified('wrong_type');
    }
    if (header.alg !== 'EdDSA' || header.crit !== undefined) {
      throw new AssertionUnverified('bad_signature');
    }
    const unverified = decodeJwt(assertion);
    agentId = unverified.iss;
    if (unverified.sub !== agentId) {
      throw new AssertionUnverified('bad_claim_sub');
    }
  } catch (error) {
    throw error instanceof AssertionUnverified ? error : new AssertionUnverified('malformed');
  }
  if (!isUuid(agentId)) {
    throw new AssertionUnverified('unknown_agent');
  }
  return agentId;
}

/** Checks an assertion against the agent's registered key: signature, audience, iss = sub = agentId, jti, iat, exp. */
export async function verifyAssertion(assertion: string, agentId: string, key: Ed25519PublicJwk, audience: string): Promise<VerifiedAssertion> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(assertion, publicKeyOf(key), {
      algorithms: ['EdDSA'],
      issuer: agentId,
      subject: agentId,
      audience,
      requiredClaims: ['iss', 'sub', 'aud', 'jti', 'iat', 'exp'],
      clockTolerance: ASSERTION_CLOCK_TOLERANCE_S,
    }));
  } catch (error) {
    throw new AssertionUnverified(joseReason(error));
  }
  const now = Math.floor(Date.now() / 1000);
  const { jti, iat, exp, aud } = payload;
  if (aud !== audience) {
    throw new AssertionUnverified('bad_claim_aud');
  }
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw new AssertionUnverified('bad_claim_jti');
  }
  if (typeof iat !== 'number' || iat > now + ASSERTION_CLOCK_TOLERANCE_S) {
    throw new AssertionUnverified('bad_claim_iat');
  }
  if (typeof exp !== 'number' || exp > now + ASSERTION_MAX_LIFETIME_S + ASSERTION_CLOCK_TOLERANCE_S) {
    throw new AssertionUnverified('bad_claim_exp');
  }
  return { jti, replayableUntil: new Date((exp + ASSERTION_CLOCK_TOLERANCE_S) * 1000) };
}
