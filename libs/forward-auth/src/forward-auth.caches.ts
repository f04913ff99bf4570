import { Inject, Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import type { Principal } from '@app/security';
import { forwardAuthConfig, ForwardAuthConfig } from './forward-auth.config';

/** What forward-auth needs to know about a tenant: read through the tenants and licensing libs, cached by slug. */
export interface TenantSnapshot {
  readonly id: string;
  readonly slug: string;
  readonly status: 'PROVISIONING' | 'ACTIVE' | 'SUSPENDED' | 'DELETED';
  readonly organizationId: string | null;
  /** The usable license (licensing's one rule) when the snapshot was read; the decision rechecks `usableUntil`. */
  readonly license?: { readonly tier: string; readonly usableUntil: Date };
}

/** The tenant cache's negative answer: no tenant has this slug. */
export const NO_SUCH_TENANT = 'no-such-tenant';
export type TenantAnswer = TenantSnapshot | typeof NO_SUCH_TENANT;

/** The agent-status answer (AgentStatus.isActive) for an agent and the tenant its token names. */
export interface AgentAnswer {
  readonly tenantId: string;
  readonly active: boolean;
}

/** Taken before a verification or load starts; what it produced is cached only if no invalidation happened since. */
export type Epoch = number;

const MAX_TENANTS = 10_000;
const MAX_AGENTS = 10_000;
const MAX_PRINCIPALS_COUNTED = 10_000;
const UNKNOWN_TENANT_WINDOW_MS = 60_000;
// Entries age by Date.now(), the clock token expiry (exp) is read against too (and the one fake timers move in specs).
const perf = { now: (): number => Date.now() };

/**
 * Forward-auth's caches, all of them: verified tokens (by SHA-256 of the token), tenant snapshots by
 * slug (with the short-lived "no such tenant" answer), and agent status. Each entry has a hard TTL.
 *
 * Two rules keep them honest; what each change drops is decided in invalidation.ts:
 * - epoch: every invalidation bumps it, and a result is stored only under the epoch taken before its
 *   work started, so a verification or load that raced with a change is answered but never cached;
 * - while caching is off (the change channel is down, so other replicas' changes would be missed),
 *   nothing is stored and nothing is read.
 */
@Injectable()
export class ForwardAuthCaches {
  readonly tokens: LRUCache<string, Principal>;
  readonly tenants: LRUCache<string, TenantAnswer>;
  readonly agents: LRUCache<string, AgentAnswer>;
  // Not a cache of facts but a limiter: how many slugs that are no tenant each caller had looked up this
  // minute. It survives invalidations and channel loss (it protects the database more then, not less).
  private readonly unknownTenantLookups = new LRUCache<string, number>({ max: MAX_PRINCIPALS_COUNTED, ttl: UNKNOWN_TENANT_WINDOW_MS, noUpdateTTL: true, perf });
  // Verifications and loads in flight, by what they will store: a request that misses while the same work
  // (started in the current epoch, caching on) is running waits for it instead of repeating it. Not a cache:
  // an entry lives only until its work settles. Bench (npm run bench -- forward-auth, full runs, same loaded
  // machine): without it, when the hot tenant's and token's entries expired under 50 connections every
  // in-flight request read the tenant (embedded PostgreSQL: one connection) and verified the token again:
  // warm 0.43x bare node:http, p99 790 ms; with it warm 0.62x and 0.61x, p99 57 ms.
  private readonly inFlight = new Map<string, { readonly epoch: Epoch; readonly work: Promise<unknown> }>();
  private epoch: Epoch = 0;
  private on = true;

  constructor(@Inject(forwardAuthConfig.KEY) private readonly config: ForwardAuthConfig) {
    const ttl = Math.max(1, config.cacheTtlMs);
    this.tokens = new LRUCache({ max: Math.max(1, config.tokenCacheMax), ttl, perf });
    this.tenants = new LRUCache({ max: MAX_TENANTS, ttl, perf });
    this.agents = new LRUCache({ max: MAX_AGENTS, ttl, perf });
  }

  get enabled(): boolean {
    return this.on;
  }

  currentEpoch(): Epoch {
    return this.epoch;
  }

  token(key: string): Principal | undefined {
    return this.on ? this.tokens.get(key) : undefined;
  }

  tenant(slug: string): TenantAnswer | undefined {
    return this.on ? this.tenants.get(slug) : undefined;
  }

  agent(agentId: string, tenantId: string): boolean | undefined {
    const cached = this.on ? this.agents.get(agentId) : undefined;
    return cached?.tenantId === tenantId ? cached.active : undefined;
  }

  storeToken(since: Epoch, key: string, principal: Principal): void {
    const ttl = Math.min(this.config.cacheTtlMs, principal.expiresAt.getTime() - Date.now());
    if (this.config.tokenCacheMax > 0 && ttl > 0 && this.fresh(since)) {
      this.tokens.set(key, principal, { ttl });
    }
  }

  storeTenant(since: Epoch, slug: string, answer: TenantAnswer): void {
    const ttl = answer === NO_SUCH_TENANT ? this.config.noTenantTtlMs : this.config.cacheTtlMs;
    if (ttl > 0 && this.fresh(since)) {
      this.tenants.set(slug, answer, { ttl });
    }
  }

  storeAgent(since: Epoch, agentId: string, answer: AgentAnswer): void {
    if (this.config.cacheTtlMs > 0 && this.fresh(since)) {
      this.agents.set(agentId, answer);
    }
  }

  /**
   * `work()`, or the same work already in flight for `key` if it started in the current epoch. Nothing is shared
   * while caching is off: sharing hands a read made earlier to a later request, and while the change channel is
   * down a change another replica committed in between would go unnoticed (while it is up, its notification starts
   * a new epoch).
   */
  shared<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (!this.on) {
      return work();
    }
    const running = this.inFlight.get(key);
    if (running !== undefined && running.epoch === this.epoch) {
      return running.work as Promise<T>;
    }
    const entry = { epoch: this.epoch, work: work() };
    this.inFlight.set(key, entry);
    const settled = (): void => {
      if (this.inFlight.get(key) === entry) {
        this.inFlight.delete(key);
      }
    };
    entry.work.then(settled, settled);
    return entry.work;
  }

  /** Runs `drop` under a new epoch: anything started before is no longer cached when it completes. */
  invalidate(drop: (caches: ForwardAuthCaches) => void): void {
    this.epoch += 1;
    drop(this);
  }

  /** Caching off and everything dropped (the change channel is lost), or back on after a flush (it is back). */
  setEnabled(enabled: boolean): void {
    this.invalidate((caches) => {
      caches.on = enabled;
      caches.tokens.clear();
      caches.tenants.clear();
      caches.agents.clear();
    });
  }

  /** False when `caller` already looked up as many unknown slugs this minute as allowed. */
  mayLookUpUnknownTenants(caller: string): boolean {
    return (this.unknownTenantLookups.get(caller) ?? 0) < this.config.unknownTenantsPerMinute;
  }

  countUnknownTenantLookup(caller: string): void {
    this.unknownTenantLookups.set(caller, (this.unknownTenantLookups.get(caller) ?? 0) + 1);
  }

  private fresh(since: Epoch): boolean {
    return this.on && since === this.epoch;
  }
}

/** Deletes every entry of `cache` whose value matches (collected first: no deletion while iterating). */
export function deleteWhere<V extends object | string>(cache: LRUCache<string, V>, matches: (value: V) => boolean): void {
  const doomed: string[] = [];
  for (const [key, value] of cache.entries()) {
    if (matches(value)) {
      doomed.push(key);
    }
  }
  doomed.forEach((key) => cache.delete(key));
}
