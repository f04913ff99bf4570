import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ChangeBus } from '@app/service-core';
import { ExpiringLru } from './expiring-lru';
import { forwardAuthConfig, ForwardAuthConfig } from './forward-auth.config';

/** What forward-auth needs to know about a tenant, read once and cached by slug. */
export interface TenantSnapshot {
  readonly id: string;
  readonly slug: string;
  readonly status: 'PROVISIONING' | 'ACTIVE' | 'SUSPENDED' | 'DELETED';
  readonly organizationId: string | null;
  /** The current license while it is within contract end + grace. */
  readonly license?: { readonly tier: string; readonly usableUntil: Date };
}

interface TenantRow {
  id: string;
  slug: string;
  status: TenantSnapshot['status'];
  organization_id: string | null;
  tier: string | null;
  usable_until: Date | null;
}

const MISSING = Symbol('missing');
const MAX_TENANTS_CACHED = 10_000;

/**
 * Tenants by slug for forward-auth: one query on a miss, then served from memory until a change
 * notification (tenant status, license issue/revoke) drops the entry, the hard TTL expires it, or
 * the notification connection reconnects (everything is flushed then).
 */
@Injectable()
export class TenantDirectory implements OnModuleInit {
  private readonly cache = new ExpiringLru<string, TenantSnapshot | typeof MISSING>(MAX_TENANTS_CACHED);
  // One query per slug at a time: when an entry expires under load, every waiting request shares it
  // (without this, a hot tenant's expiry sent every in-flight request to the database at once).
  private readonly loading = new Map<string, Promise<TenantSnapshot | typeof MISSING>>();
  // Bumped on every invalidation, so a load that started before a change never caches what it read.
  private generation = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly changes: ChangeBus,
    @Inject(forwardAuthConfig.KEY) private readonly config: ForwardAuthConfig,
  ) {}

  onModuleInit(): void {
    this.changes.subscribe((change) => {
      if (change.topic === 'tenant' || change.topic === 'license') {
        this.invalidate(() => this.cache.deleteWhere((snapshot) => snapshot === MISSING || snapshot.id === change.id));
      }
    });
    this.changes.onResync(() => this.invalidate(() => this.cache.clear()));
  }

  private invalidate(drop: () => void): void {
    this.generation += 1;
    this.loading.clear();
    drop();
  }

  /** The cached answer for `slug` without any I/O: a snapshot, null for a known-missing tenant, undefined when not cached. */
  peek(slug: string, now = Date.now()): TenantSnapshot | null | undefined {
    const cached = this.cache.get(slug, now);
    return cached === MISSING ? null : cached;
  }

  async bySlug(slug: string): Promise<TenantSnapshot | undefined> {
    const cached = this.cache.get(slug);
    if (cached !== undefined) {
      return cached === MISSING ? undefined : cached;
    }
    let pending = this.loading.get(slug);
    if (pending === undefined) {
      const load = this.load(slug).finally(() => {
        if (this.loading.get(slug) === load) {
          this.loading.delete(slug);
        }
      });
      pending = load;
      this.loading.set(slug, load);
    }
    const snapshot = await pending;
    return snapshot === MISSING ? undefined : snapshot;
  }

  private async load(slug: string): Promise<TenantSnapshot | typeof MISSING> {
    const generation = this.generation;
    const rows: TenantRow[] = await this.dataSource.query(
      `SELECT t.id, t.slug, t.status, t.logto_organization_id AS organization_id, l.tier,
              l.ends_at + make_interval(days => l.grace_days) AS usable_until
         FROM tenants t
         LEFT JOIN licenses l ON l.tenant_id = t.id AND l.state = 'CURRENT'
        WHERE t.slug = $1`,
      [slug],
    );
    const row = rows[0];
    const snapshot: TenantSnapshot | typeof MISSING =
      row === undefined
        ? MISSING
        : {
            id: row.id,
            slug: row.slug,
            status: row.status,
            organizationId: row.organization_id,
            license: row.tier !== null && row.usable_until !== null ? { tier: row.tier, usableUntil: new Date(row.usable_until) } : undefined,
          };
    if (generation === this.generation) {
      this.cache.set(slug, snapshot, Date.now() + this.config.cacheTtlMs);
    }
    return snapshot;
  }
}
