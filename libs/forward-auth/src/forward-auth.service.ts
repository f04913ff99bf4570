import { Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ChangeBus, ProblemException } from '@app/service-core';
import {
  hasPlatformScope,
  insufficientScope,
  LOGTO_ACCESS_TOKEN_TYP,
  LogtoTokenVerifier,
  MachineTokenService,
  machineTokenKindOfTyp,
  peekJwtHeader,
  Principal,
  readBearerToken,
  tenantNotFound,
  unauthorized,
} from '@app/security';
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

export type Decision = { readonly allow: true; readonly headers: Readonly<Record<string, string>> } | { readonly allow: false; readonly problem: ProblemException };

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Decides, for every request entering the platform, who is calling and for which tenant.
 * Warm path: a token cache hit and a tenant cache hit, no I/O.
 */
@Injectable()
export class ForwardAuthService implements OnModuleInit {
  private readonly tokens: ExpiringLru<string, Principal>;
  private readonly decisions = new WeakMap<Principal, WeakMap<TenantSnapshot, { decision: Decision; until: number }>>();

  constructor(
    @Inject(forwardAuthConfig.KEY) private readonly config: ForwardAuthConfig,
    private readonly tenants: TenantDirectory,
    private readonly logto: LogtoTokenVerifier,
    private readonly machine: MachineTokenService,
    private readonly changes: ChangeBus,
    @Optional() @Inject(AGENT_STATUS) private readonly agents?: AgentStatus,
  ) {
    this.tokens = new ExpiringLru(config.tokenCacheMax);
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
      return deny(unauthorized('The bearer token is not valid here.', true));
    }
    const tenant = step.slug === undefined ? undefined : await this.tenants.bySlug(step.slug);
    return tenant === undefined ? deny(tenantNotFound()) : this.authorize(principal, tenant);
  }

  /**
   * The decision when everything it needs is already in memory (the warm path), without creating
   * a single promise; undefined when a token must be verified or a tenant read.
   */
  decideFromCache(request: ForwardedRequest): Decision | undefined {
    const step = this.start(request);
    if ('decision' in step) {
      return step.decision;
    }
    if (step.principal === undefined) {
      return undefined;
    }
    if (step.slug === undefined) {
      return deny(tenantNotFound());
    }
    const tenant = this.tenants.peek(step.slug);
    if (tenant === undefined) {
      return undefined;
    }
    return tenant === null ? deny(tenantNotFound()) : this.authorize(step.principal, tenant);
  }

  /** Everything decidable from the headers and the token cache alone. */
  private start(request: ForwardedRequest): { decision: Decision } | { slug?: string; token: string; cacheKey: string; principal?: Principal } {
    const slug = this.slugOf(single(request.forwardedHost));
    if (isPreflight(request)) {
      return { decision: { allow: true, headers: {} } };
    }
    const bearer = readBearerToken(request.authorization);
    if (bearer.kind === 'none') {
      return { decision: deny(unauthorized('This request needs a bearer token.', false)) };
    }
    if (bearer.kind === 'malformed') {
      return { decision: deny(unauthorized('The Authorization header must be exactly "Bearer <token>".', true)) };
    }
    const cacheKey = createHash('sha256').update(bearer.token).digest('base64url');
    return { slug, token: bearer.token, cacheKey, principal: this.tokens.get(cacheKey) };
  }

  /**
   * The decision for a cached principal and a cached tenant snapshot never changes while both objects
   * live (a tenant change replaces the snapshot), except when the license's grace ends: memoized.
   */
  private authorize(principal: Principal, tenant: TenantSnapshot): Decision {
    const now = Date.now();
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
    let scopes: string;
    if (principal.scheme === 'machine') {
      if (principal.tenantId !== tenant.id) {
        return deny(tenantNotFound());
      }
      scopes = '';
    } else if (principal.organizationId === undefined) {
      // Operators: platform scopes, only from tokens not bound to an organization.
      if (!hasPlatformScope(principal, 'platform:read')) {
        return deny(tenantNotFound());
      }
      scopes = [...principal.scopes].filter((scope) => scope.startsWith('platform:')).join(' ');
    } else {
      if (tenant.organizationId === null || principal.organizationId !== tenant.organizationId) {
        return deny(tenantNotFound());
      }
      if (!principal.scopes.has('tenant:read')) {
        return deny(insufficientScope('tenant:read'));
      }
      scopes = [...principal.scopes].filter((scope) => scope.startsWith('tenant:')).join(' ');
    }
    // Only a caller proven to belong here learns why the tenant is closed.
    if (tenant.status !== 'ACTIVE') {
      return deny(new ProblemException(403, `TENANT_${tenant.status}`, `This tenant is ${tenant.status.toLowerCase()}.`));
    }
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
    const typ = peekJwtHeader(token)?.typ;
    let principal: Principal | undefined;
    try {
      if (typ === LOGTO_ACCESS_TOKEN_TYP) {
        principal = await this.logto.verify(token);
      } else if (typeof typ === 'string' && machineTokenKindOfTyp(typ) === 'agent') {
        // Agent access tokens only: a bootstrap token never opens the platform.
        const verified = await this.machine.verify('agent', token);
        if (this.agents !== undefined && !(await this.agents.isActive(verified.subject, verified.tenantId))) {
          return undefined;
        }
        principal = { scheme: 'machine', kind: 'agent', subject: verified.subject, tenantId: verified.tenantId, tokenId: verified.tokenId, expiresAt: verified.expiresAt };
      }
    } catch {
      return undefined;
    }
    if (principal !== undefined) {
      this.tokens.set(cacheKey, principal, Math.min(principal.expiresAt.getTime(), Date.now() + this.config.cacheTtlMs));
    }
    return principal;
  }

  private slugOf(forwardedHost: string | undefined): string | undefined {
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

function deny(problem: ProblemException): Decision {
  return { allow: false, problem };
}

function isPreflight(request: ForwardedRequest): boolean {
  return single(request.forwardedMethod)?.toUpperCase() === 'OPTIONS' && single(request.origin) !== undefined && single(request.accessControlRequestMethod) !== undefined;
}
