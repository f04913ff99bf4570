import { Inject, Injectable } from '@nestjs/common';
import type { KeyObject } from 'node:crypto';
import type { JwtPayload, VerifyOptions } from 'jsonwebtoken';
import { Strategy as JwtStrategy } from 'passport-jwt';
import { LogtoPrincipal } from '../access/principal';
import { peekJwtHeader } from '../tokens/bearer-token';
import { TokenRejected } from '../tokens/token-rejected';
import { logtoAuthConfig, LogtoAuthConfig } from './logto-auth.config';
import { LogtoSigningKeys } from './logto-signing-keys';

export const LOGTO_ACCESS_TOKEN_TYP = 'at+jwt';

// passport-jwt's own verifier (jsonwebtoken.verify underneath), called directly so that the guard
// and forward-auth share one code path without a fake request.
type JwtVerifier = (token: string, key: KeyObject, options: VerifyOptions, callback: (error: Error | null, payload?: JwtPayload | string) => void) => void;
const verifyJwt = (JwtStrategy as unknown as { JwtVerifier: JwtVerifier }).JwtVerifier;

/**
 * Verifies Logto access tokens for this API: signature by `kid` against Logto's JWKS, an allowlist of
 * algorithms, header `typ` at+jwt, `iss`, `aud` (exactly this API's resource: organization tokens,
 * whose audience is `urn:logto:organization:<id>`, fail here), `exp` required, `nbf` honoured, with a
 * small clock tolerance.
 */
@Injectable()
export class LogtoTokenVerifier {
  constructor(
    @Inject(logtoAuthConfig.KEY) private readonly config: LogtoAuthConfig,
    private readonly signingKeys: LogtoSigningKeys,
  ) {}

  get configured(): boolean {
    return this.config.issuer !== undefined;
  }

  async verify(token: string): Promise<LogtoPrincipal> {
    const { issuer, audience } = this.config;
    if (issuer === undefined || audience === undefined) {
      throw new TokenRejected('not_configured');
    }
    const header = peekJwtHeader(token);
    if (header === undefined) {
      throw new TokenRejected('malformed');
    }
    if (header.typ !== LOGTO_ACCESS_TOKEN_TYP) {
      throw new TokenRejected('wrong_type');
    }
    if (typeof header.alg !== 'string' || !(this.config.algorithms as readonly string[]).includes(header.alg)) {
      throw new TokenRejected('bad_signature');
    }
    if (typeof header.kid !== 'string') {
      throw new TokenRejected('unknown_key');
    }
    const key = await this.signingKeys.keyFor(header.kid);
    if (key === undefined) {
      throw new TokenRejected('unknown_key');
    }
    const payload = await new Promise<JwtPayload>((resolve, reject) =>
      verifyJwt(
        token,
        key,
        { algorithms: [...this.config.algorithms], issuer, audience, clockTolerance: this.config.clockToleranceSeconds },
        (error, decoded) => (error !== null || typeof decoded !== 'object' ? reject(new TokenRejected('bad_signature')) : resolve(decoded)),
      ),
    );
    return toPrincipal(payload);
  }
}

function toPrincipal(payload: JwtPayload): LogtoPrincipal {
  const { sub, exp } = payload;
  const clientId: unknown = payload.client_id;
  const scope: unknown = payload.scope;
  const organizationId: unknown = payload.organization_id;
  if (typeof sub !== 'string' || typeof exp !== 'number' || typeof clientId !== 'string' || typeof scope !== 'string') {
    throw new TokenRejected('missing_claim');
  }
  if (organizationId !== undefined && typeof organizationId !== 'string') {
    throw new TokenRejected('missing_claim');
  }
  return {
    scheme: 'logto',
    kind: sub === clientId ? 'app' : 'user',
    subject: sub,
    clientId,
    scopes: new Set(scope.split(' ').filter((s) => s.length > 0)),
    organizationId,
    tokenId: typeof payload.jti === 'string' ? payload.jti : undefined,
    expiresAt: new Date(exp * 1000),
  };
}
