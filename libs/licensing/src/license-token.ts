import { SignJWT } from 'jose';
import type { SigningKey } from '@app/security';
import { graceEndsAt } from './license-status';
import type { LicenseLimits } from './tiers/tier-catalog';

/** The one JWS algorithm of license tokens (Ed25519, RFC 8037), pinned by every verifier. */
export const LICENSE_TOKEN_ALG = 'EdDSA';
/** The `typ` header of license tokens: no other token of this platform carries it. */
export const LICENSE_TOKEN_TYP = 'license+jwt';

/** The claims of a license token (see docs/license-format.md). Times are epoch seconds. */
export interface LicenseClaims {
  readonly iss: string;
  /** The tenant id. */
  readonly sub: string;
  readonly aud: string;
  /** The license id: the same for every token of one license. */
  readonly jti: string;
  readonly iat: number;
  readonly nbf: number;
  /** Refresh horizon of this token; never after `lic_exp` + grace. */
  readonly exp: number;
  /** End of the contract. */
  readonly lic_exp: number;
  readonly grace_days: number;
  readonly tier: string;
  readonly features: readonly string[];
  readonly limits: LicenseLimits;
  readonly tenant_slug: string;
}

/** What a token is made from: a license row plus its tenant's slug. */
export interface LicenseTokenInput {
  readonly licenseId: string;
  readonly tenantId: string;
  readonly tenantSlug: string;
  readonly tier: string;
  readonly features: readonly string[];
  readonly limits: LicenseLimits;
  readonly endsAt: Date;
  readonly graceDays: number;
}

export interface LicenseTokenSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly ttlSeconds: number;
}

const seconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** The claims of a token signed at `now`: exp = now + TTL, capped at the end of grace. */
export function licenseClaims(input: LicenseTokenInput, settings: LicenseTokenSettings, now: Date): LicenseClaims {
  const iat = seconds(now);
  const graceEnd = seconds(graceEndsAt(input.endsAt, input.graceDays));
  return {
    iss: settings.issuer,
    sub: input.tenantId,
    aud: settings.audience,
    jti: input.licenseId,
    iat,
    nbf: iat,
    exp: Math.min(iat + settings.ttlSeconds, graceEnd),
    lic_exp: seconds(input.endsAt),
    grace_days: input.graceDays,
    tier: input.tier,
    features: [...input.features],
    limits: { ...input.limits },
    tenant_slug: input.tenantSlug,
  };
}

/** Signs claims as a compact JWS with the given license key: header {alg: EdDSA, typ: license+jwt, kid}. */
export function signLicenseClaims(claims: LicenseClaims, key: SigningKey): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: LICENSE_TOKEN_ALG, typ: LICENSE_TOKEN_TYP, kid: key.kid })
    .sign(key.privateKey);
}
