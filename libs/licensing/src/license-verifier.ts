import { createPublicKey, KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  JSONWebKeySet,
  JWK,
  JWTHeaderParameters,
  JWTPayload,
  jwtVerify,
  JWTVerifyGetKey,
} from 'jose';
import { graceEndsAt, VerifiedLicenseStatus, verifiedLicenseStatus } from './license-status';
import { LICENSE_TOKEN_ALG, LICENSE_TOKEN_TYP, LicenseClaims } from './license-token';
import { LIMIT_NAMES, LicenseLimits } from './tiers/tier-catalog';

const MAX_LICENSE_TOKEN_LENGTH = 16_384;
const MAX_LICENSE_CLOCK_TOLERANCE_S = 60;

const REQUIRED_CLAIMS = ['iss', 'sub', 'aud', 'jti', 'iat', 'nbf', 'exp', 'lic_exp', 'grace_days', 'tier', 'features', 'limits', 'tenant_slug'];

export type LicenseVerificationFailure =
  | 'malformed'
  | 'bad_signature'
  | 'unknown_key'
  | 'wrong_type'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim'
  | 'not_yet_valid'
  | 'issued_in_future'
  /** The key set could not be fetched or parsed (remote JWKS): nothing was decided about the token. */
  | 'keys_unavailable'
  /** The refresh horizon (`exp`) passed: fetch a fresh token. The signature was good; `claims` says what it held. */
  | 'token_expired';

export class LicenseVerificationError extends Error {
  constructor(
    readonly reason: LicenseVerificationFailure,
    detail?: string,
    /** Only for `token_expired`: the verified claims of the stale token. */
    readonly claims?: LicenseClaims,
  ) {
    super(detail === undefined ? `license token rejected: ${reason}` : `license token rejected: ${reason} (${detail})`);
    this.name = 'LicenseVerificationError';
  }
}

export interface LicenseVerifierOptions {
  /** Expected `iss` (exact string). */
  readonly issuer: string;
  /** Expected `aud` (exact string). */
  readonly audience: string;
  /** Leeway for exp, nbf and iat in seconds; at most 60 (default 30). */
  readonly clockToleranceSeconds?: number;
  /** A license is EXPIRING this many days before `lic_exp` (default 30). */
  readonly expiryWarningDays?: number;
}

export interface VerifiedLicense {
  readonly header: JWTHeaderParameters;
  readonly claims: LicenseClaims;
  readonly status: VerifiedLicenseStatus;
  readonly issuedAt: Date;
  /** When this token must have been refreshed. */
  readonly tokenExpiresAt: Date;
  readonly licenseEndsAt: Date;
  readonly graceEndsAt: Date;
}

type KeySource = JWTVerifyGetKey | KeyObject;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Only Ed25519 signing keys from a set: other keys could never verify a license and are dropped. */
function ed25519Only(jwks: JSONWebKeySet): JSONWebKeySet {
  if (!isRecord(jwks) || !Array.isArray(jwks.keys)) {
    throw new TypeError('a JWKS is an object with a "keys" array');
  }
  const keys = jwks.keys.filter(
    (key: JWK) => key.kty === 'OKP' && key.crv === 'Ed25519' && typeof key.kid === 'string' && key.d === undefined && (key.use === undefined || key.use === 'sig'),
  );
  if (keys.length === 0) {
    throw new TypeError('the JWKS holds no Ed25519 public signing key with a kid');
  }
  return { keys };
}

/**
 * Verifies license tokens offline, with nothing but the published keys: alg EdDSA and typ license+jwt pinned,
 * issuer and audience exact, every claim required and typed, a small clock tolerance, and an `iat` in the future
 * refused (a rolled-back clock). The key is chosen by `kid` from the given set; `jku`, `x5u` and an embedded `jwk`
 * are never looked at.
 */
export class LicenseVerifier {
  private readonly tolerance: number;
  private readonly warningDays: number;

  private constructor(
    private readonly keys: KeySource,
    private readonly options: LicenseVerifierOptions,
  ) {
    const tolerance = options.clockToleranceSeconds ?? 30;
    if (!Number.isInteger(tolerance) || tolerance < 0 || tolerance > MAX_LICENSE_CLOCK_TOLERANCE_S) {
      throw new RangeError(`clockToleranceSeconds must be an integer from 0 to ${MAX_LICENSE_CLOCK_TOLERANCE_S}`);
    }
    if (typeof options.issuer !== 'string' || options.issuer === '' || typeof options.audience !== 'string' || options.audience === '') {
      throw new TypeError('issuer and audience are required');
    }
    this.tolerance = tolerance;
    this.warningDays = options.expiryWarningDays ?? 30;
  }

  /** From a JWKS object (e.g. the body of /.well-known/jwks.json or the file of `npm run keys:jwks`). */
  static fromJwks(jwks: JSONWebKeySet, options: LicenseVerifierOptions): LicenseVerifier {
    return new LicenseVerifier(createLocalJWKSet(ed25519Only(jwks)), options);
  }

  static fromJwksFile(path: string, options: LicenseVerifierOptions): LicenseVerifier {
    return LicenseVerifier.fromJwks(JSON.parse(readFileSync(path, 'utf8')) as JSONWebKeySet, options);
  }

  /** Fetched (and cached, refetched on an unknown kid) from a URL, e.g. https://<host>/.well-known/jwks.json. */
  static fromJwksUrl(url: string | URL, options: LicenseVerifierOptions): LicenseVerifier {
    return new LicenseVerifier(createRemoteJWKSet(new URL(url), { timeoutDuration: 5000 }), options);
  }

  /** From one SPKI PEM public key (`<kid>.pub.pem`); the token's kid is then not matched against anything. */
  static fromPem(pem: string, options: LicenseVerifierOptions): LicenseVerifier {
    const key = createPublicKey(pem);
    if (key.asymmetricKeyType !== 'ed25519') {
      throw new TypeError(`a license key is Ed25519, not ${String(key.asymmetricKeyType)}`);
    }
    return new LicenseVerifier(key, options);
  }

  async verify(token: string, at: Date = new Date()): Promise<VerifiedLicense> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_LICENSE_TOKEN_LENGTH || token.split('.').length !== 3) {
      throw new LicenseVerificationError('malformed', 'not a compact JWS');
    }
    let payload: JWTPayload;
    let header: JWTHeaderParameters;
    try {
      const options = {
        algorithms: [LICENSE_TOKEN_ALG],
        typ: LICENSE_TOKEN_TYP,
        issuer: this.options.issuer,
        audience: this.options.audience,
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: this.tolerance,
        currentDate: at,
      };
      const keys = this.keys;
      ({ payload, protectedHeader: header } = typeof keys === 'function' ? await jwtVerify(token, keys, options) : await jwtVerify(token, keys, options));
    } catch (error) {
      throw this.rejection(error, at);
    }
    const claims = this.checkClaims(header, payload, at);
    return this.describe(header, claims, at);
  }

  private describe(header: JWTHeaderParameters, claims: LicenseClaims, at: Date): VerifiedLicense {
    const licenseEndsAt = new Date(claims.lic_exp * 1000);
    return {
      header,
      claims,
      status: verifiedLicenseStatus(licenseEndsAt, claims.grace_days, at, this.warningDays),
      issuedAt: new Date(claims.iat * 1000),
      tokenExpiresAt: new Date(claims.exp * 1000),
      licenseEndsAt,
      graceEndsAt: graceEndsAt(licenseEndsAt, claims.grace_days),
    };
  }

  /** The shapes jose does not check: exact audience, kid present, types of our own claims, iat not in the future. */
  private checkClaims(header: JWTHeaderParameters, payload: JWTPayload, at: Date): LicenseClaims {
    if (typeof header.kid !== 'string' || header.kid === '') {
      throw new LicenseVerificationError('unknown_key', 'no kid');
    }
    if (payload.aud !== this.options.audience) {
      throw new LicenseVerificationError('wrong_audience');
    }
    const { sub, jti, iat, nbf, exp, lic_exp, grace_days, tier, features, limits, tenant_slug } = payload as Record<string, unknown>;
    const malformed = (claim: string): LicenseVerificationError => new LicenseVerificationError('malformed', `claim ${claim}`);
    if (typeof sub !== 'string' || sub === '') {
      throw malformed('sub');
    }
    if (typeof jti !== 'string' || jti === '') {
      throw malformed('jti');
    }
    for (const [name, value] of Object.entries({ iat, nbf, exp, lic_exp })) {
      if (!isNumericDate(value)) {
        throw malformed(name);
      }
    }
    if (!Number.isInteger(grace_days) || (grace_days as number) < 0) {
      throw malformed('grace_days');
    }
    if (typeof tier !== 'string' || tier === '' || typeof tenant_slug !== 'string') {
      throw malformed(typeof tier !== 'string' || tier === '' ? 'tier' : 'tenant_slug');
    }
    if (!Array.isArray(features) || !features.every((feature) => typeof feature === 'string')) {
      throw malformed('features');
    }
    if (!isRecord(limits) || !LIMIT_NAMES.every((name) => Number.isInteger(limits[name]) && (limits[name] as number) >= 0)) {
      throw malformed('limits');
    }
    // A token from the future means this clock is behind (or was set back): refuse rather than trust the dates.
    if ((iat as number) > Math.floor(at.getTime() / 1000) + this.tolerance) {
      throw new LicenseVerificationError('issued_in_future', 'iat is later than this clock; check NTP');
    }
    return payload as unknown as LicenseClaims & { limits: LicenseLimits };
  }

  private rejection(error: unknown, at: Date): LicenseVerificationError {
    if (error instanceof LicenseVerificationError) {
      return error;
    }
    const code = isRecord(error) || error instanceof Error ? (error as { code?: unknown }).code : undefined;
    switch (code) {
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
        return new LicenseVerificationError('bad_signature');
      case 'ERR_JWKS_NO_MATCHING_KEY':
      case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
        return new LicenseVerificationError('unknown_key');
      case 'ERR_JWKS_TIMEOUT':
      case 'ERR_JWKS_INVALID':
        return new LicenseVerificationError('keys_unavailable', error instanceof Error ? error.message : undefined);
      case 'ERR_JWT_EXPIRED': {
        // jose checks the signature, typ, iss, aud and nbf before exp: this token is genuine, only stale.
        const { payload } = error as { payload?: JWTPayload };
        let claims: LicenseClaims | undefined;
        try {
          claims = payload === undefined ? undefined : this.checkClaims({ alg: LICENSE_TOKEN_ALG, kid: 'verified' }, payload, at);
        } catch {
          claims = undefined;
        }
        return new LicenseVerificationError('token_expired', 'exp passed: refresh the token', claims);
      }
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
        const { claim, reason } = error as { claim?: unknown; reason?: unknown };
        if (reason === 'missing') {
          return new LicenseVerificationError('missing_claim', String(claim));
        }
        if (reason !== 'check_failed') {
          return new LicenseVerificationError('malformed', `claim ${String(claim)}`);
        }
        switch (claim) {
          case 'typ':
            return new LicenseVerificationError('wrong_type');
          case 'iss':
            return new LicenseVerificationError('wrong_issuer');
          case 'aud':
            return new LicenseVerificationError('wrong_audience');
          case 'nbf':
            return new LicenseVerificationError('not_yet_valid');
          default:
            return new LicenseVerificationError('malformed', `claim ${String(claim)}`);
        }
      }
      default:
        if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) {
          // ECONNREFUSED, ENOTFOUND, ...: fetching a remote key set failed.
          return new LicenseVerificationError('keys_unavailable', code);
        }
        // ERR_JWS_INVALID, ERR_JWT_INVALID, ERR_JOSE_NOT_SUPPORTED (unknown crit), TypeError, ...
        return new LicenseVerificationError('malformed', error instanceof Error ? error.message : undefined);
    }
  }
}
