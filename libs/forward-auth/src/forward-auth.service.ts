import { Inject, Injectable } from '@nestjs/common';
import { hash } from 'node:crypto';
import { LicensingService } from '@app/licensing';
import { CodedError, Metrics } from '@app/service-core';
import { Principal, SecurityError, securityErrorFor, TokenVerifier } from '@app/security';
import { TenantsService } from '@app/tenants';
import { AGENT_STATUS, AgentStatus } from './agent-status';
import { clearedSessionCookie, cookiesWithout, cookieValues, isNavigation, MAX_SESSION_COOKIES, originalUrl, signInLocation } from './browser';
import { BROWSER_SESSIONS, BrowserSession, BrowserSessions, BrowserSignIn, NOT_A_MEMBER, SESSION_ENDED } from './browser-sessions';
import { decide, ENTER_TENANT, IdentityHeaders } from './decision';
import { ForwardAuthCaches, NO_SUCH_TENANT, TenantAnswer, TenantSnapshot } from './forward-auth.caches';
import { forwardAuthConfig, ForwardAuthConfig } from './forward-auth.config';
import { ForwardAuthError } from './forward-auth.errors';
import { IdentityAssertionSigner } from './identity-assertion';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The request headers forward-auth reads; everything else (including X-Cameleer-*) is ignored. */
export interface ForwardedRequest {
  readonly authorization?: string | string[];
  readonly forwardedHost?: string | string[];
  readonly forwardedMethod?: string | string[];
  readonly origin?: string | string[];
  readonly accessControlRequestMethod?: string | string[];
  // The browser path: the session cookie, whether this is a page load, and where it was going.
  readonly cookie?: string | string[];
  readonly accept?: string | string[];
  readonly secFetchMode?: string | string[];
  readonly forwardedProto?: string | string[];
  readonly forwardedUri?: string | string[];
}

/**
 * Forward-auth's answer. `allow`: the identity headers and the Cookie header the upstream gets (the request's
 * cookies minus the session cookie). `sign-in`: a browser without a usable session is sent to sign in (302).
 * `page`: a browser's page load refused (an HTML page by the error's status). API clients' refusals are thrown.
 */
export type ForwardAuthVerdict =
  | { readonly kind: 'allow'; readonly identity: IdentityHeaders; readonly cookie: string | undefined }
  | { readonly kind: 'sign-in'; readonly location: string; readonly clearCookie: string | undefined }
  | { readonly kind: 'page'; readonly error: unknown; readonly host: string | undefined; readonly signOutAction: string | undefined };

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const PREFLIGHT: IdentityHeaders = {};

/** cameleer_forward_auth_decisions_total{outcome}: the answer's kind, by its status (refusals are problems). */
const DECISIONS = {
  allow: { outcome: 'allow' },
  preflight: { outcome: 'preflight' },
  unauthenticated: { outcome: 'unauthenticated' },
  forbidden: { outcome: 'forbidden' },
  not_found: { outcome: 'not_found' },
  rate_limited: { outcome: 'rate_limited' },
  unavailable: { outcome: 'unavailable' },
  error: { outcome: 'error' },
} as const;

const OUTCOME_BY_STATUS: Readonly<Record<number, keyof typeof DECISIONS>> = { 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 429: 'rate_limited', 503: 'unavailable' };

/** cameleer_forward_auth_cache_lookups_total{cache,result}: the hit ratio is hit / (hit + miss) per cache. */
const CACHE_LOOKUPS = {
  tokenHit: { cache: 'token', result: 'hit' },
  tokenMiss: { cache: 'token', result: 'miss' },
  tenantHit: { cache: 'tenant', result: 'hit' },
  tenantMiss: { cache: 'tenant', result: 'miss' },
} as const;

/**
 * For every request entering the platform: who is calling (the token, verified or cached) and for
 * which tenant (the forwarded host's, read or cached), then decide(). Warm path: two cache hits, no I/O.
 */
@Injectable()
export class ForwardAuthService {
  constructor(
    @Inject(forwardAuthConfig.KEY) private readonly config: ForwardAuthConfig,
    private readonly caches: ForwardAuthCaches,
    private readonly tokens: TokenVerifier,
    private readonly tenantsService: TenantsService,
    private readonly licensing: LicensingService,
    @Inject(AGENT_STATUS) private readonly agentStatus: AgentStatus,
    @Inject(BROWSER_SESSIONS) private readonly sessions: BrowserSessions,
    private readonly assertions: IdentityAssertionSigner,
    metrics: Metrics,
  ) {
    // Plain counters (Metrics.tally): the warm path only increments numbers.
    this.decisions = metrics.tally('cameleer_forward_auth_decisions_total', 'Forward-auth answers by outcome (both ports).', DECISIONS);
    this.lookups = metrics.tally('cameleer_forward_auth_cache_lookups_total', 'Forward-auth cache lookups by cache (token, tenant) and result (hit, miss).', CACHE_LOOKUPS);
  }

  private readonly decisions: Record<keyof typeof DECISIONS, number>;
  private readonly lookups: Record<keyof typeof CACHE_LOOKUPS, number>;

  /** Let in (with the identity headers), sent to sign in, or refused: thrown as a problem, or a page for a browser. */
  async answer(request: ForwardedRequest): Promise<ForwardAuthVerdict> {
    const signIn = this.sessions.signIn;
    if (isPreflight(request)) {
      this.decisions.preflight++;
      return { kind: 'allow', identity: PREFLIGHT, cookie: cookiesWithout(single(request.cookie), signIn?.cookieName) };
    }
    try {
      const identity = await this.decideFor(request, signIn);
      this.decisions.allow++;
      return { kind: 'allow', identity, cookie: cookiesWithout(single(request.cookie), signIn?.cookieName) };
    } catch (error) {
      this.decisions[error instanceof CodedError ? (OUTCOME_BY_STATUS[error.spec.status] ?? 'error') : 'error']++;
      // A bearer caller is answered exactly as before browser sign-in existed, whatever it accepts.
      if (request.authorization !== undefined || !isNavigation(single(request.forwardedMethod), single(request.secFetchMode), single(request.accept))) {
        throw error;
      }
      return this.browserVerdict(error, request, signIn);
    }
  }

  private async decideFor(request: ForwardedRequest, signIn: BrowserSignIn | undefined): Promise<IdentityHeaders> {
    // Bearer wins over a cookie; without either, bearerOf throws the 401 API clients always got.
    const cookies = signIn === undefined || request.authorization !== undefined ? [] : cookieValues(single(request.cookie), signIn.cookieName);
    const host = normalizedHost(single(request.forwardedHost));
    if (cookies.length > 0) {
      return this.decideForSession(cookies, host);
    }
    // Warm path: both answers come from the caches, and nothing below awaits.
    const token = this.tokens.bearerOf(request.authorization);
    const key = hash('sha256', token, 'base64url');
    const principal = this.principalFor(token, key);
    const caller = principal instanceof Promise ? await principal : principal;
    const tenant = this.tenantAt(host, caller);
    return this.decideAt(caller, tenant instanceof Promise ? await tenant : tenant, host, key, undefined);
  }

  /**
   * A browser with a session cookie: the tenant first (its organization), then the session's token for that
   * organization, then the same verification, caches and decide() as a bearer token. Warm: no awaits.
   */
  private async decideForSession(cookies: readonly string[], host: string | undefined): Promise<IdentityHeaders> {
    let session: BrowserSession | undefined;
    for (const cookie of cookies.slice(0, MAX_SESSION_COOKIES)) {
      session = this.sessions.cachedSession(cookie) ?? (await this.sessions.find(cookie));
      if (session !== undefined) {
        break;
      }
    }
    if (session === undefined) {
      throw new ForwardAuthError('SIGN_IN_REQUIRED', 'The session has ended or is unknown: sign in again.');
    }
    const pending = this.tenantAt(host, `session:${session.subject}`);
    const tenant = pending instanceof Promise ? await pending : pending;
    if (tenant === NO_SUCH_TENANT || tenant.organizationId === null) {
      throw noTenantAt(host);
    }
    let token = this.sessions.cachedOrganizationToken(session.id, tenant.organizationId);
    if (token === undefined) {
      try {
        token = await this.sessions.organizationToken(session, tenant.organizationId);
      } catch (error) {
        if (codeOf(error) === NOT_A_MEMBER) {
          throw noTenantAt(host);
        }
        if (codeOf(error) === SESSION_ENDED) {
          throw new ForwardAuthError('SIGN_IN_REQUIRED', 'The session has ended: sign in again.');
        }
        throw error;
      }
    }
    const key = hash('sha256', token, 'base64url');
    const principal = this.principalFor(token, key);
    return this.decideAt(principal instanceof Promise ? await principal : principal, tenant, host, key, session.id);
  }

  /** The verified caller for a token: from the cache (no I/O), else verified once however many ask at the same time. */
  private principalFor(token: string, key: string): Principal | Promise<Principal> {
    const principal = this.caches.token(key);
    if (principal !== undefined) {
      this.lookups.tokenHit++;
      return principal;
    }
    this.lookups.tokenMiss++;
    return this.caches.shared(`token:${key}`, () => this.verify(token, key));
  }

  /** The tenant of a host: from the cache (no I/O), else read once however many ask at the same time. */
  private tenantAt(host: string | undefined, caller: Principal | string): TenantAnswer | Promise<TenantAnswer> {
    const slug = this.slugOf(host);
    if (slug === undefined) {
      return NO_SUCH_TENANT;
    }
    const tenant = this.caches.tenant(slug);
    if (tenant !== undefined) {
      this.lookups.tenantHit++;
      return tenant;
    }
    this.lookups.tenantMiss++;
    const callerKey = typeof caller === 'string' ? caller : `${caller.scheme}:${caller.subject}`;
    return this.caches.shared(`tenant:${slug}`, () => this.load(slug, callerKey));
  }

  /** decide(), then the signed identity assertion (for the token's cache key, and the session when there is one). */
  private decideAt(principal: Principal, tenant: TenantAnswer, host: string | undefined, cacheKey: string, sessionId: string | undefined): IdentityHeaders {
    let identity: Mutable<IdentityHeaders>;
    try {
      identity = decide(principal, tenant === NO_SUCH_TENANT ? undefined : tenant, Date.now());
    } catch (error) {
      throw error instanceof SecurityError && error.code === 'NOT_FOUND' ? noTenantAt(host) : error;
    }
    const assertion = this.assertions.for({ principal, host, sessionId, cacheKey, identity });
    if (assertion !== undefined) {
      identity['x-cameleer-identity'] = assertion;
    }
    return identity;
  }

  /**
   * A refused page load: to sign in when it has no session (or its session ended) and sign-in is on, else a page.
   * A signed-in browser that may not enter gets a page with a sign-out button, never another redirect.
   */
  private browserVerdict(error: unknown, request: ForwardedRequest, signIn: BrowserSignIn | undefined): ForwardAuthVerdict {
    const forwardedHost = single(request.forwardedHost);
    const host = forwardedHost?.trim().toLowerCase();
    const signedIn = signIn !== undefined && cookieValues(single(request.cookie), signIn.cookieName).length > 0;
    const mustSignIn = codeOf(error) === 'SIGN_IN_REQUIRED' || codeOf(error) === 'UNAUTHORIZED';
    if (signIn !== undefined && mustSignIn && this.slugOf(normalizedHost(forwardedHost)) !== undefined) {
      return {
        kind: 'sign-in',
        location: signInLocation(signIn, originalUrl(single(request.forwardedProto), forwardedHost, single(request.forwardedUri))),
        clearCookie: signedIn ? clearedSessionCookie(signIn) : undefined,
      };
    }
    return { kind: 'page', error, host, signOutAction: signedIn && !mustSignIn ? `${signIn.publicAuthOrigin}/api/auth/logout` : undefined };
  }

  /** Verifies a token not in the cache (and asks whether its agent is active) and caches the caller. */
  private async verify(token: string, key: string): Promise<Principal> {
    const since = this.caches.currentEpoch();
    const principal = await this.tokens.verify(token, ENTER_TENANT);
    if (principal.scheme === 'machine' && !(await this.agentIsActive(principal.subject, principal.tenantId))) {
      throw securityErrorFor({ allow: false, reason: 'invalid_token' });
    }
    this.caches.storeToken(since, key, principal);
    return principal;
  }

  private async agentIsActive(agentId: string, tenantId: string): Promise<boolean> {
    const cached = this.caches.agent(agentId, tenantId);
    if (cached !== undefined) {
      return cached;
    }
    const since = this.caches.currentEpoch();
    const active = await this.agentStatus.isActive(agentId, tenantId);
    this.caches.storeAgent(since, agentId, { tenantId, active });
    return active;
  }

  /** Reads a tenant not in the cache through its owners (tenants, licensing) and caches the answer. */
  private async load(slug: string, caller: string): Promise<TenantAnswer> {
    if (!this.caches.mayLookUpUnknownTenants(caller)) {
      throw new ForwardAuthError('TOO_MANY_UNKNOWN_TENANTS', 'Too many requests for hosts that are no tenant; retry later.', { headers: { 'retry-after': '60' } });
    }
    const since = this.caches.currentEpoch();
    const tenant = await this.tenantsService.findBySlug(slug);
    if (tenant === undefined) {
      this.caches.countUnknownTenantLookup(caller);
      this.caches.storeTenant(since, slug, NO_SUCH_TENANT);
      return NO_SUCH_TENANT;
    }
    const usable = await this.licensing.usableLicense(tenant.id);
    const snapshot: TenantSnapshot = {
      id: tenant.id,
      slug: tenant.slug,
      status: tenant.status,
      organizationId: tenant.logtoOrganizationId,
      license: usable === undefined ? undefined : { tier: usable.license.tier, usableUntil: usable.usableUntil },
    };
    this.caches.storeTenant(since, slug, snapshot);
    return snapshot;
  }

  /** `<slug>.${TENANT_BASE_DOMAIN}` of the normalized forwarded host, or the one default tenant. */
  private slugOf(host: string | undefined): string | undefined {
    const base = this.config.tenantBaseDomain;
    if (base === undefined) {
      return this.config.defaultTenantSlug;
    }
    if (host === undefined || !host.endsWith(`.${base}`)) {
      return undefined;
    }
    const label = host.slice(0, -base.length - 1);
    return DNS_LABEL.test(label) ? label : undefined;
  }
}

/** The forwarded host lower-cased, port and trailing dot stripped. */
function normalizedHost(forwardedHost: string | undefined): string | undefined {
  return forwardedHost?.trim().toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
}

const PRINTABLE_HOST = /^[a-z0-9.-]{1,253}$/;

/**
 * The 404 for a host that is no tenant the caller may enter, naming the host it looked at (a developer's
 * `X-Forwarded-Host` typo shows at once) and nothing else: the same whether a tenant exists there or not.
 */
function noTenantAt(host: string | undefined): SecurityError {
  if (host === undefined || host === '') {
    return new SecurityError('NOT_FOUND', 'No such tenant: the request names no host (X-Forwarded-Host).');
  }
  // Only a host name is echoed; anything else a client sent is not repeated back.
  return new SecurityError('NOT_FOUND', PRINTABLE_HOST.test(host) ? `No such tenant at host "${host}".` : 'No such tenant: X-Forwarded-Host is not a host name.');
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

function isPreflight(request: ForwardedRequest): boolean {
  return single(request.forwardedMethod)?.toUpperCase() === 'OPTIONS' && single(request.origin) !== undefined && single(request.accessControlRequestMethod) !== undefined;
}

function codeOf(error: unknown): string | undefined {
  return error instanceof CodedError ? (error as CodedError).code : undefined;
}
