import { sign } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { Keyring, machineTokensConfig, MachineTokensConfig, PLATFORM_KEYRING, Principal } from '@app/security';
import type { IdentityHeaders } from './decision';

/** The `typ` of the identity assertion; verifiers require it, so no other platform JWT passes as one. */
const IDENTITY_ASSERTION_TYP = 'identity+jwt';
/** The longest an assertion lives (less when the caller's own token expires sooner). */
const IDENTITY_ASSERTION_TTL_S = 60;
// Re-signed once fewer than this many seconds remain, so an upstream always receives at least this much
// lifetime and a warm caller costs one signature per 40 s, not one per request.
const RESIGN_WHEN_LEFT_S = 20;
const MAX_CACHED = 10_000;

export interface AssertionRequest {
  /** The verified caller; its token's expiry caps the assertion's. */
  readonly principal: Principal;
  /** The normalized forwarded host: the assertion's audience. Without one there is no audience, so no assertion. */
  readonly host: string | undefined;
  /** The edge session's public id when the caller came with a session cookie (claim `sid`). */
  readonly sessionId: string | undefined;
  /** What the caller is cached by in forward-auth (the token's or session's hash): the assertion cache's key too. */
  readonly cacheKey: string;
  /** The headers decide() allowed the request with: the claims say exactly what they say (one rule, in decide()). */
  readonly identity: IdentityHeaders;
}

interface CachedAssertion {
  readonly jwt: string;
  readonly resignAt: number;
  readonly identity: IdentityHeaders;
}

/** The claims of an identity assertion (docs/forward-auth-headers.md lists them for upstreams). */
export interface IdentityAssertionClaims {
  readonly iss: string;
  readonly aud: string;
  readonly sub: string;
  readonly iat: number;
  readonly exp: number;
  readonly principal: string;
  readonly tenant_id: string;
  readonly tenant_slug: string;
  readonly scope: string;
  readonly license_tier?: string;
  readonly sid?: string;
}

const base64url = (json: unknown): string => Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');

/**
 * X-Cameleer-Identity: a short-lived EdDSA JWT (typ identity+jwt) signed with the platform key, vouching to the
 * tenant's upstream for what the plain X-Cameleer-* headers say, for that host only (aud). Verifiable against
 * /.well-known/platform-jwks.json. Cached per caller, tenant, host and session, and re-signed only when near
 * expiry or when decide()'s answer changed, so forward-auth's warm path signs nothing. Synchronous: node:crypto
 * signs Ed25519 without awaiting.
 */
@Injectable()
export class IdentityAssertionSigner {
  private readonly cache = new LRUCache<string, CachedAssertion>({ max: MAX_CACHED });

  constructor(
    @Inject(PLATFORM_KEYRING) private readonly keyring: Keyring,
    @Inject(machineTokensConfig.KEY) private readonly platform: MachineTokensConfig,
  ) {}

  /** The assertion for an allowed request, or undefined when the request named no host. */
  for(request: AssertionRequest): string | undefined {
    const { host, identity } = request;
    if (host === undefined) {
      return undefined;
    }
    const key = `${request.cacheKey}\n${identity['x-cameleer-tenant-id'] ?? ''}\n${host}\n${request.sessionId ?? ''}`;
    const now = Date.now();
    const cached = this.cache.get(key);
    if (cached !== undefined && now < cached.resignAt && sameIdentity(cached.identity, identity)) {
      return cached.jwt;
    }
    const iat = Math.floor(now / 1000);
    const exp = Math.min(iat + IDENTITY_ASSERTION_TTL_S, Math.floor(request.principal.expiresAt.getTime() / 1000));
    const jwt = this.sign(this.claims(request, host, iat, exp));
    this.cache.set(key, { jwt, resignAt: (exp - RESIGN_WHEN_LEFT_S) * 1000, identity });
    return jwt;
  }

  /** Forgets every assertion signed for `subject` (its revocation: none is handed out again, even within its 60 s). */
  forgetSubject(subject: string): void {
    const doomed: string[] = [];
    for (const [key, cached] of this.cache.entries()) {
      if (cached.identity['x-cameleer-subject'] === subject) {
        doomed.push(key);
      }
    }
    doomed.forEach((key) => this.cache.delete(key));
  }

  private claims(request: AssertionRequest, host: string, iat: number, exp: number): IdentityAssertionClaims {
    const { identity } = request;
    const claims: { -readonly [K in keyof IdentityAssertionClaims]: IdentityAssertionClaims[K] } = {
      iss: this.platform.issuer,
      aud: host,
      sub: request.principal.subject,
      iat,
      exp,
      principal: identity['x-cameleer-principal'] ?? '',
      tenant_id: identity['x-cameleer-tenant-id'] ?? '',
      tenant_slug: identity['x-cameleer-tenant-slug'] ?? '',
      scope: identity['x-cameleer-scopes'] ?? '',
    };
    if (identity['x-cameleer-license-tier'] !== undefined) {
      claims.license_tier = identity['x-cameleer-license-tier'];
    }
    if (request.sessionId !== undefined) {
      claims.sid = request.sessionId;
    }
    return claims;
  }

  private sign(claims: IdentityAssertionClaims): string {
    const { kid, privateKey } = this.keyring.current;
    const signingInput = `${base64url({ alg: 'EdDSA', typ: IDENTITY_ASSERTION_TYP, kid })}.${base64url(claims)}`;
    return `${signingInput}.${sign(null, Buffer.from(signingInput, 'ascii'), privateKey).toString('base64url')}`;
  }
}

/** decide()'s answer for a cached caller can change (scopes, license tier) while the cache key stays: compare it. */
function sameIdentity(a: IdentityHeaders, b: IdentityHeaders): boolean {
  return (
    a['x-cameleer-subject'] === b['x-cameleer-subject'] &&
    a['x-cameleer-principal'] === b['x-cameleer-principal'] &&
    a['x-cameleer-scopes'] === b['x-cameleer-scopes'] &&
    a['x-cameleer-tenant-slug'] === b['x-cameleer-tenant-slug'] &&
    a['x-cameleer-license-tier'] === b['x-cameleer-license-tier']
  );
}
