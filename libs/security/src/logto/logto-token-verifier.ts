import { Inject, Injectable } from '@nestjs/common';
import { JWTHeaderParameters, JWTPayload, jwtVerify } from 'jose';
import { LogtoPrincipal } from '../access/principal';
import { rejectionOf, TokenRejected } from '../tokens/token-rejected';
import { logtoAuthConfig, LogtoAuthConfig } from './logto-auth.config';
import { LogtoJwks } from './logto-jwks';

export const LOGTO_ACCESS_TOKEN_TYP = 'at+jwt';

/**
 * Verifies Logto access tokens for this API with jose: signature by `kid` against Logto's JWKS, an
 * allowlist of algorithms, header `typ` at+jwt, `iss`, `aud` (this API's resource: organization tokens,
 * whose audience is `urn:logto:organization:<id>`, fail here), `exp` required, `nbf` honoured when present
 * (Logto's tokens carry none), with a small clock tolerance, `iat` not further ahead than that tolerance,
 * and no `crit` header: this verifier implements no JWS extension, so a token that declares one critical is
 * refused (jose would accept `b64`).
 * `sub` and `client_id` are required; `scope` is optional (absent = no scope). Every refusal is TokenRejected.
 */
@Injectable()
export class LogtoTokenVerifier {
  constructor(
    @Inject(logtoAuthConfig.KEY) private readonly config: LogtoAuthConfig,
    private readonly jwks: LogtoJwks,
  ) {}

  /** The audience this API's tokens carry (LOGTO_API_RESOURCE); undefined when Logto is not configured. */
  get audience(): string | undefined {
    return this.config.audience;
  }

  async verify(token: string): Promise<LogtoPrincipal> {
    const { issuer, audience } = this.config;
    if (issuer === undefined || audience === undefined) {
      throw new TokenRejected('not_configured');
    }
    let payload: JWTPayload;
    let protectedHeader: JWTHeaderParameters;
    try {
      ({ payload, protectedHeader } = await jwtVerify(token, this.jwks.resolveKey, {
        algorithms: [...this.config.algorithms],
        typ: LOGTO_ACCESS_TOKEN_TYP,
        issuer,
        audience,
        requiredClaims: ['exp'],
        clockTolerance: this.config.clockToleranceSeconds,
      }));
    } catch (error) {
      throw rejectionOf(error);
    }
    if (protectedHeader.crit !== undefined) {
      throw new TokenRejected('malformed');
    }
    // jose checks iat only against a maximum token age, which Logto's configurable TTL makes us leave unset.
    if (typeof payload.iat === 'number' && payload.iat > Date.now() / 1000 + this.config.clockToleranceSeconds) {
      throw new TokenRejected('not_yet_valid');
    }
    return toPrincipal(payload);
  }
}

function toPrincipal(payload: JWTPayload): LogtoPrincipal {
  const { sub, exp } = payload;
  const clientId: unknown = payload.client_id;
  const scope: unknown = payload.scope;
  const organizationId: unknown = payload.organization_id;
  if (typeof sub !== 'string' || typeof exp !== 'number' || typeof clientId !== 'string') {
    throw new TokenRejected('missing_claim');
  }
  // Logto leaves `scope` out of a token granted no scope (its client_credentials grant sets the token's scope to
  // undefined then, and its oidc-provider fork writes the claim as it is); a missing claim is the empty set.
  if (scope !== undefined && typeof scope !== 'string') {
    throw new TokenRejected('malformed');
  }
  if (organizationId !== undefined && typeof organizationId !== 'string') {
    throw new TokenRejected('missing_claim');
  }
  return {
    scheme: 'logto',
    kind: sub === clientId ? 'app' : 'user',
    subject: sub,
    clientId,
    scopes: new Set((scope ?? '').split(' ').filter((s) => s.length > 0)),
    organizationId,
    tokenId: typeof payload.jti === 'string' ? payload.jti : undefined,
    issuedAt: typeof payload.iat === 'number' ? new Date(payload.iat * 1000) : undefined,
    expiresAt: new Date(exp * 1000),
  };
}
