import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { hash } from 'node:crypto';
import { ChangeBus } from '@app/service-core';
import { AccessRequirement, evaluateAccess, Principal, readBearerToken, securityErrorFor, TokenVerifier } from '@app/security';
import { AGENT_STATUS, AgentStatus } from './agent-status';
import { ExpiringLru } from './expiring-lru';
import { forwardAuthConfig, ForwardAuthConfig } from './forward-auth.config';
import { TenantDirectory, TenantSnapshot } from './tenant-directory';

/** The request headers forward-auth reads; everything else (including X-Cameleer-*) is ignored. */
export interface ForwardedRequest {
  readonly authorization?: string | string[];
  readonly forwardedHost?: string | string[];
  readonly forwardedMethod?: string | string[];
  readonly origin?: string | string[];
  readonly accessControlRequestMethod?: string | string[];
}

export const IDENTITY_HEADER_PREFIX = 'x-cameleer-';

export type Decision = { readonly allow: true; readonly headers: Readonly<Record<string, string>> } | { readonly allow: false; readonly problem: Error };

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** Raw Authorization headers remembered in front of the SHA-256 (each only while its principal is cached). */
const MAX_HEADERS_REMEMBERED = 1024;
/** Slugs by raw X-Forwarded-Host (a pure function of the string): flushed whole when full. */
const MAX_HOSTS_REMEMBERED = 1024;

/**
 * Decides, for every request entering the platform, who is calling and for which tenant.
 * Warm path: a token cache hit and a tenant cache hit, no I/O.
 */
@Injectable()
export class ForwardAuthService implements OnModuleInit {
  private readonly tokens: ExpiringLru<string, Principal>;
  // Warm path shortcut: raw Authorization header -> token cache key, so a repeated header skips the
  // bearer parsing and the SHA-256. An entry exists only while the token cache holds that key (it is
  // dropped when the principal expires, is evicted or invalidated), so a raw token is never kept
  // longer than its principal; both maps are bounded by MAX_HEADERS_REMEMBERED.
  private readonly keyByHeader = new Map<string, string>();
  private readonly headerByKey = new Map<string, string>();
  private readonly headersRemembered: number;
  private readonly slugByHost = new Map<string, string | null>();
  private readonly decisions = new WeakMap<Principal, WeakMap<TenantSnapshot, { decision: Decision; until: number }>>();

  constructor(
    @Inject(forwardAuthConfig.KEY) private readonly config: ForwardAuthConfig,
    private readonly tenants: TenantDirectory,
    private readonly verifier: TokenVerifier,
    private readonly changes: ChangeBus,
    @Optional() @Inject(AGENT_STATUS) private readonly agents?: AgentStatus,
  ) {
    this.tokens = new ExpiringLru<string, Principal>(config.tokenCacheMax, (cacheKey) => this.forgetHeaderOf(cacheKey));
    this.headersRemembered = Math.min(MAX_HEADERS_REMEMBERED, config.tokenCacheMax);
  }

  onModuleInit(): void {
    // Agent tokens of a disabled agent must stop working at once: drop that agent's cached tokens.
    this.changes.subscribe((change) => {
      if (change.topic === 'agent') {
        this.tokens.deleteWhere((principal) => principal.scheme === 'machine' && principal.subject === change.id);
      }
    });
    this.changes.onResync(() => this.tokens.clear());
  }

  async decide(request: ForwardedRequest): Promise<Decision> {
    const step = this.start(request);
    if ('decision' in step) {
      return step.decision;
    }
    const principal = step.principal ?? (await this.verify(step.token, step.cacheKey));
    if (principal === undefined) {
      return deny(securityErrorFor({ allow: false, reason: 'invalid_token' }));
    }
    const tenant = step.slug === undefined ? undefined : await this.tenants.bySlug(step.slug);
    return tenant === undefined ? noSuchTenant(principal) : this.authorize(principal, tenant);
  }

  /**
   * The decision when everything it needs is already in memory (the warm path), without creating
   * a single promise; undefined when a token must be verified or a tenant read.
   */
  decideFromCache(request: ForwardedRequest): Decision | undefined {
    const now = Date.now();
    const step = this.start(request, now);
    if ('decision' in step) {
      return step.decision;
    }
    if (step.principal === undefined) {
      return undefined;
    }
    if (step.slug === undefined) {
      return noSuchTenant(step.principal);
    }
    const tenant = this.tenants.peek(step.slug, now);
    if (tenant === undefined) {
      return undefined;
    }
    return tenant === null ? noSuchTenant(step.principal) : this.authorize(step.principal, tenant, now);
  }

  /** Everything decidable from the headers and the token cache alone. */
  private start(request: ForwardedRequest, now = Date.now()): { decision: Decision } | { slug?: string; token: string; cacheKey: string; principal?: Principal } {
    const slug = this.slugOf(single(request.forwardedHost));
    if (isPreflight(request)) {
      return { decision: { allow: true, headers: {} } };
    }
    const authorization = request.authorization;
    if (typeof authorization === 'string') {
      const rememberedKey = this.keyByHeader.get(authorization);
      if (rememberedKey !== undefined) {
        const principal = this.tokens.get(rememberedKey, now);
        if (principal !== undefined) {
          // Only a header that parsed as exactly "Bearer <token>" is ever remembered.
          return { slug, token: authorization.slice(BEARER_PREFIX_LENGTH), cacheKey: rememberedKey, principal };
        }
      }
    }
    const bearer = readBearerToken(authorization);
    if (bearer.kind === 'none') {
      return { decision: deny(securityErrorFor({ allow: false, reason: 'no_token' })) };
    }
    if (bearer.kind === 'malformed') {
      return { decision: deny(securityErrorFor({ allow: false, reason: 'malformed_header' })) };
    }
    const cacheKey = sha256(bearer.token);
    const principal = this.tokens.get(cacheKey, now);
    if (principal !== undefined && typeof authorization === 'string') {
      this.rememberHeader(authorization, cacheKey);
    }
    return { slug, token: bearer.token, cacheKey, principal };
  }

  private rememberHeader(header: string, cacheKey: string): void {
    if (this.headersRemembered === 0) {
      return;
    }
    this.forgetHeaderOf(cacheKey);
    if (this.keyByHeader.size >= this.headersRemembered) {
      const oldest = this.keyByHeader.entries().next();
      if (oldest.done !== true) {
        this.keyByHeader.delete(oldest.value[0]);
        this.headerByKey.delete(oldest.value[1]);
      }
    }
    this.keyByHeader.set(header, cacheKey);
    this.headerByKey.set(cacheKey, header);
  }

  /** Called whenever the token cache drops `cacheKey`: the raw header goes with its principal. */
  private forgetHeaderOf(cacheKey: string): void {
    const header = this.headerByKey.get(cacheKey);
    if (header !== undefined) {
      this.headerByKey.delete(cacheKey);
      this.keyByHeader.delete(header);
    }
  }

  /**
   * The decision for a cached principal and a cached tenant snapshot never changes while both objects
   * live (a tenant change replaces the snapshot), except when the license's grace ends: memoized.
   */
  private authorize(principal: Principal, tenant: TenantSnapshot, now = Date.now()): Decision {
    let byTenant = this.decisions.get(principal);
    const memo = byTenant?.get(tenant);
    if (memo !== undefined && memo.until > now) {
      return memo.decision;
    }
    const decision = this.decideFor(principal, tenant);
    if (byTenant === undefined) {
      byTenant = new WeakMap();
      this.decisions.set(principal, byTenant);
    }
    byTenant.set(tenant, { decision, until: tenant.license !== undefined && tenant.license.usableUntil.getTime() > now ? tenant.license.usableUntil.getTime() : Number.POSITIVE_INFINITY });
    return decision;
  }

  private decideFor(principal: Principal, tenant: TenantSnapshot): Decision {
    const verdict = evaluateAccess(principal, REQUIREMENT, tenant);
    if (!verdict.allow) {
      return deny(securityErrorFor(verdict));
    }
    // Let in: an agent, an operator (platform scopes) or a member (tenant scopes).
    const scopePrefix = principal.scheme === 'logto' && principal.organizationId === undefined ? 'platform:' : 'tenant:';
    const scopes = principal.scheme === 'machine' ? '' : [...principal.scopes].filter((scope) => scope.startsWith(scopePrefix)).join(' ');
    const headers: Record<string, string> = {
      'x-cameleer-tenant-id': tenant.id,
      'x-cameleer-tenant-slug': tenant.slug,
      'x-cameleer-subject': principal.subject,
      'x-cameleer-principal': principal.scheme === 'machine' ? 'agent' : principal.kind,
      'x-cameleer-scopes': scopes,
    };
    if (tenant.license !== undefined && tenant.license.usableUntil.getTime() > Date.now()) {
      headers['x-cameleer-license-tier'] = tenant.license.tier;
    }
    return { allow: true, headers };
  }

  /** Verifies a token not seen before and caches the principal; undefined when invalid. */
  private async verify(token: string, cacheKey: string): Promise<Principal | undefined> {
    let principal: Principal;
    try {
      principal = await this.verifier.verify(token, REQUIREMENT);
      if (principal.scheme === 'machine' && this.agents !== undefined && !(await this.agents.isActive(principal.subject, principal.tenantId))) {
        return undefined;
      }
    } catch {
      return undefined;
    }
    this.tokens.set(cacheKey, principal, Math.min(principal.expiresAt.getTime(), Date.now() + this.config.cacheTtlMs));
    return principal;
  }

  private slugOf(forwardedHost: string | undefined): string | undefined {
    if (forwardedHost === undefined) {
      return this.parseSlug(undefined);
    }
    let slug = this.slugByHost.get(forwardedHost);
    if (slug === undefined) {
      if (this.slugByHost.size >= MAX_HOSTS_REMEMBERED) {
        this.slugByHost.clear();
      }
      slug = this.parseSlug(forwardedHost) ?? null;
      this.slugByHost.set(forwardedHost, slug);
    }
    return slug ?? undefined;
  }

  private parseSlug(forwardedHost: string | undefined): string | undefined {
    const host = forwardedHost?.trim().toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
    const base = this.config.tenantBaseDomain;
    if (base !== undefined) {
      if (host === undefined || !host.endsWith(`.${base}`)) {
        return undefined;
      }
      const label = host.slice(0, -base.length - 1);
      return DNS_LABEL.test(label) ? label : undefined;
    }
    return this.config.defaultTenantSlug;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? undefined : value;
}

function deny(problem: Error): Decision {
  return { allow: false, problem };
}

function isPreflight(request: ForwardedRequest): boolean {
  // Cheapest tests first: most requests carry neither Origin nor Access-Control-Request-Method.
  return single(request.accessControlRequestMethod) !== undefined && single(request.origin) !== undefined && single(request.forwardedMethod)?.toUpperCase() === 'OPTIONS';
}

const BEARER_PREFIX_LENGTH = 'Bearer '.length;

/**
 * Who may enter a tenant's own services: operators with platform:read, members of the tenant with
 * tenant:read, or the tenant's agents (access tokens only: a bootstrap token never opens the platform);
 * the tenant must be ACTIVE.
 */
const REQUIREMENT: AccessRequirement = { logto: { platform: 'platform:read', tenant: 'tenant:read' }, machine: ['agent'], tenant: { mustBeActive: true } };

function noSuchTenant(principal: Principal): Decision {
  // Never an allow: the requirement is about a tenant and there is none.
  const verdict = evaluateAccess(principal, REQUIREMENT, undefined);
  return deny(securityErrorFor(verdict.allow ? { allow: false, reason: 'not_found' } : verdict));
}

function sha256(token: string): string {
  // crypto.hash (Node >= 20.12): one call, no Hash object; same digest as createHash().update().digest().
  return hash('sha256', token, 'base64url');
}
