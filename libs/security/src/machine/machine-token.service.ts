import { randomUUID, KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { decodeProtectedHeader, JWTPayload, jwtVerify, JWTVerifyGetKey, SignJWT } from 'jose';
import { Keyring, MACHINE_KEYRING } from '../keys';
import { rejectionOf, TokenRejected } from '../tokens/token-rejected';
import { MACHINE_TOKEN_KINDS, MachineTokenKind, MachineTokenKindSpec } from './machine-token-kinds';
import { MachineTokensConfig, machineTokensConfig } from './machine-tokens.config';

/** The one JWS algorithm machine tokens use (Ed25519, RFC 8037). */
const MACHINE_TOKEN_ALG = 'EdDSA';

/** Longer input is refused before any parsing (a compact Ed25519 JWT with our claims is a few hundred bytes). */
const MAX_MACHINE_TOKEN_LENGTH = 8192;

/** Claims `sign` sets itself; `extra` may not carry them. */
const RESERVED_MACHINE_TOKEN_CLAIMS: readonly string[] = ['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'tenant_id'];

const REQUIRED_CLAIMS = ['iss', 'aud', 'sub', 'jti', 'iat', 'exp', 'tenant_id'];

export interface SignMachineTokenInput {
  /** Subject: the enrollment id (bootstrap) or the agent id (agent). */
  readonly sub: string;
  readonly tenantId: string;
  /** Lifetime in whole seconds; 1..the kind's maximum. */
  readonly ttlSeconds: number;
  /** Token id; a random UUID unless given (e.g. to match a database row created first). */
  readonly jti?: string;
  /** Further claims; may not name a reserved claim. */
  readonly extra?: Readonly<Record<string, unknown>>;
}

export interface SignedMachineToken {
  readonly token: string;
  readonly jti: string;
  readonly expiresAt: Date;
}

export interface VerifiedMachineToken {
  readonly kind: MachineTokenKind;
  readonly subject: string;
  readonly tenantId: string;
  /** The `jti`. */
  readonly tokenId: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  /** Every claim of the verified token. */
  readonly claims: JWTPayload;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * Signs and verifies machine tokens: compact JWS, EdDSA (Ed25519) with the machine keyring, one `typ`,
 * audience and lifetime cap per kind. Verification picks the key by `kid` from the in-memory keyring only;
 * `jku`, `x5u`, `x5c` and an embedded `jwk` are never looked at.
 */
@Injectable()
export class MachineTokenService {
  private readonly resolveKey: JWTVerifyGetKey;

  constructor(
    @Inject(MACHINE_KEYRING) private readonly keyring: Keyring,
    @Inject(machineTokensConfig.KEY) private readonly config: MachineTokensConfig,
  ) {
    if (keyring.purpose !== 'machine') {
      throw new TypeError(`MachineTokenService needs the machine keyring, got the ${keyring.purpose} keyring`);
    }
    this.resolveKey = (header): KeyObject => {
      // Extensions are not supported (jose already refuses unknown ones; this also refuses b64).
      if (header.crit !== undefined) {
        throw new TokenRejected('malformed');
      }
      if (!isNonEmptyString(header.kid)) {
        throw new TokenRejected('unknown_key');
      }
      // A kid is only ever a key into the in-memory map: "../../license/x" simply is not in it.
      const key = this.keyring.verificationKey(header.kid);
      if (key === undefined) {
        throw new TokenRejected('unknown_key');
      }
      return key;
    };
  }

  /** The issuer (`iss`) of every machine token: PUBLIC_URL. */
  get issuer(): string {
    return this.config.issuer;
  }

  audienceOf(kind: MachineTokenKind): string {
    return this.spec(kind).audience(this.config.issuer);
  }

  async sign(kind: MachineTokenKind, input: SignMachineTokenInput): Promise<SignedMachineToken> {
    const spec = this.spec(kind);
    const { sub, tenantId, ttlSeconds, extra } = input;
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > spec.maxLifetimeSeconds) {
      throw new RangeError(`a ${kind} token lives 1..${spec.maxLifetimeSeconds} whole seconds, not ${String(ttlSeconds)}`);
    }
    if (!isNonEmptyString(sub) || !isNonEmptyString(tenantId)) {
      throw new TypeError('sub and tenantId must be non-empty strings');
    }
    if (input.jti !== undefined && !isNonEmptyString(input.jti)) {
      throw new TypeError('jti must be a non-empty string');
    }
    const clash = Object.keys(extra ?? {}).filter((claim) => RESERVED_MACHINE_TOKEN_CLAIMS.includes(claim));
    if (clash.length > 0) {
      throw new TypeError(`extra claims may not set ${clash.join(', ')}`);
    }

    const jti = input.jti ?? randomUUID();
    const iat = Math.floor(Date.now() / 1000);
    const exp = iat + ttlSeconds;
    const signingKey = this.keyring.current;
    const token = await new SignJWT({ ...extra, tenant_id: tenantId })
      .setProtectedHeader({ alg: MACHINE_TOKEN_ALG, typ: spec.typ, kid: signingKey.kid })
      .setIssuer(this.config.issuer)
      .setAudience(spec.audience(this.config.issuer))
      .setSubject(sub)
      .setJti(jti)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(signingKey.privateKey);
    return { token, jti, expiresAt: new Date(exp * 1000) };
  }

  /** Verifies a token of the given kind; every failure is TokenRejected with a reason. */
  async verify(kind: MachineTokenKind, token: string): Promise<VerifiedMachineToken> {
    const spec = this.spec(kind);
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_MACHINE_TOKEN_LENGTH) {
      throw new TokenRejected('malformed');
    }
    const tolerance = this.config.clockToleranceSeconds;
    const audience = spec.audience(this.config.issuer);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.resolveKey, {
        algorithms: [MACHINE_TOKEN_ALG],
        typ: spec.typ,
        issuer: this.config.issuer,
        audience,
        requiredClaims: REQUIRED_CLAIMS,
        clockTolerance: tolerance,
        // Refuses an iat older than the kind's maximum lifetime and (jose) an iat in the future.
        maxTokenAge: spec.maxLifetimeSeconds,
      }));
    } catch (error) {
      throw rejectionOf(error);
    }

    // jose accepts an `aud` array that contains ours; we never mint one, so only the exact string passes.
    if (payload.aud !== audience) {
      throw new TokenRejected('wrong_audience');
    }
    const { sub, jti, iat, exp } = payload;
    const tenantId = payload.tenant_id;
    if (!isNonEmptyString(sub) || !isNonEmptyString(jti) || !isNonEmptyString(tenantId) || typeof iat !== 'number' || typeof exp !== 'number') {
      throw new TokenRejected('malformed');
    }
    // Belt and braces next to maxTokenAge: an iat in the future beyond the tolerance is never accepted.
    if (iat > Math.floor(Date.now() / 1000) + tolerance) {
      throw new TokenRejected('not_yet_valid');
    }
    return {
      kind,
      subject: sub,
      tenantId,
      tokenId: jti,
      issuedAt: new Date(iat * 1000),
      expiresAt: new Date(exp * 1000),
      claims: payload,
    };
  }

  /**
   * The `typ` of the protected header, decoded WITHOUT verification: only for routing a token to the right
   * verifier. Nothing else from an unverified header may be trusted.
   */
  peekType(token: string): string | undefined {
    if (typeof token !== 'string' || token.length > MAX_MACHINE_TOKEN_LENGTH || token.split('.').length !== 3) {
      return undefined;
    }
    try {
      const { typ } = decodeProtectedHeader(token);
      return typeof typ === 'string' ? typ : undefined;
    } catch {
      return undefined;
    }
  }

  private spec(kind: MachineTokenKind): MachineTokenKindSpec {
    const spec = (MACHINE_TOKEN_KINDS as Partial<Record<string, MachineTokenKindSpec>>)[kind];
    if (spec === undefined) {
      throw new TypeError(`unknown machine token kind ${String(kind)}`);
    }
    return spec;
  }
}
