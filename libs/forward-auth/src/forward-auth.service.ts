import { Inject, Injectable } from '@nestjs/common';
import { hash } from 'node:crypto';
import { LicensingService } from '@app/licensing';
import { CodedError, Metrics } from '@app/service-core';
import { Principal, SecurityError, securityErrorFor, TokenVerifier } from '@app/security';
import { TenantsService } from '@app/tenants';
import { AGENT_STATUS, AgentStatus } from './agent-status';
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
}

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
    private readonly assertions: IdentityAssertionSigner,
    metrics: Metrics,
  ) {
    // Plain counters (Metrics.tally): the warm path only increments numbers.
    this.decisions = metrics.tally('cameleer_forward_auth_decisions_total', 'Forward-auth answers by outcome (both ports).', DECISIONS);
    this.lookups = metrics.tally('cameleer_forward_auth_cache_lookups_total', 'Forward-auth cache lookups by cache (token, tenant) and result (hit, miss).', CACHE_LOOKUPS);
  }

  private readonly decisions: Record<keyof typeof DECISIONS, number>;
  private readonly lookups: Record<keyof typeof CACHE_LOOKUPS, number>;

  /** The identity headers for an allowed request; a thrown problem (401, 403, 404, 429, 503) otherwise. */
  async answer(request: ForwardedRequest): Promise<IdentityHeaders> {
    if (isPreflight(request)) {
      this.decisions.preflight++;
      return PREFLIGHT;
    }
    try {
      const identity = await this.decideFor(request);
      this.decisions.allow++;
      return identity;
    } catch (error) {
      this.decisions[error instanceof CodedError ? (OUTCOME_BY_STATUS[error.spec.status] ?? 'error') : 'error']++;
      throw error;
    }
  }

  private async decideFor(request: ForwardedRequest): Promise<IdentityHeaders> {
    // Warm path: both answers come from the caches, and nothing below awaits.
    const token = this.tokens.bearerOf(request.authorization);
    const key = hash('sha256', token, 'base64url');
    let principal = this.caches.token(key);
    if (principal === undefined) {
      this.lookups.tokenMiss++;
      principal = await this.caches.shared(`token:${key}`, () => this.verify(token, key));
    } else {
      this.lookups.tokenHit++;
    }
    const host = normalizedHost(single(request.forwardedHost));
    const slug = this.slugOf(host);
    let tenant: TenantAnswer | undefined = NO_SUCH_TENANT;
    if (slug !== undefined) {
      tenant = this.caches.tenant(slug);
      if (tenant === undefined) {
        this.lookups.tenantMiss++;
        const caller = principal;
        tenant = await this.caches.shared(`tenant:${slug}`, () => this.load(slug, caller));
      } else {
        this.lookups.tenantHit++;
      }
    }
    let identity: Mutable<IdentityHeaders>;
    try {
      identity = decide(principal, tenant === NO_SUCH_TENANT ? undefined : tenant, Date.now());
    } catch (error) {
      throw error instanceof SecurityError && error.code === 'NOT_FOUND' ? noTenantAt(host) : error;
    }
    const assertion = this.assertions.for({ principal, host, sessionId: undefined, cacheKey: key, identity });
    if (assertion !== undefined) {
      identity['x-cameleer-identity'] = assertion;
    }
    return identity;
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
  private async load(slug: string, principal: Principal): Promise<TenantAnswer> {
    const caller = `${principal.scheme}:${principal.subject}`;
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
