import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager, ILike, In, IsNull, Not, Repository } from 'typeorm';
import { findPage, Page, PageQuery, queryEntities, returnedRows } from '@app/service-core';
import { LogtoAction, Tenant, TenantStatus } from './tenant.entity';

export interface TenantListFilter {
  readonly status?: TenantStatus;
  /** Case-insensitive substring of slug or name. */
  readonly q?: string;
}

/** `now() + <ms> milliseconds` for a numbered parameter. */
const inMs = (parameter: string): string => `now() + make_interval(secs => ${parameter}::double precision / 1000)`;

/** A LIKE pattern matching `value` literally (backslash is PostgreSQL's default LIKE escape). */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/** A tenant's provisioning marker: 256 random bits, unguessable by whoever can create organizations in Logto. */
const newProvisioningMarker = (): string => randomBytes(32).toString('base64url');

/** Why an attempt failed: a message for operators and, when Logto answered, its error code. */
export interface SyncFailure {
  readonly message: string;
  readonly code: string | null;
}

/**
 * Every SQL statement on `tenants`. Writes that a client can see bump `version` and, when they race, are
 * guarded by it in the WHERE clause; sync bookkeeping (attempts, next try, last error) does not bump it.
 */
@Injectable()
export class TenantsRepository {
  private embedded?: Promise<boolean>;
  private readonly tenants: Repository<Tenant>;

  constructor(private readonly dataSource: DataSource) {
    this.tenants = dataSource.getRepository(Tenant);
  }

  /** Runs in `tx` when given (a write audited in the same transaction), else on the pool. */
  private rows(sql: string, parameters: unknown[] = [], tx?: EntityManager): Promise<Tenant[]> {
    return queryEntities(tx ?? this.dataSource, Tenant, sql, parameters);
  }

  private async one(sql: string, parameters: unknown[] = [], tx?: EntityManager): Promise<Tenant | undefined> {
    return (await this.rows(sql, parameters, tx))[0];
  }

  /** A new tenant, PROVISIONING, claimed by the creating request for `leaseMs`. Throws on a taken slug (uq_tenants_slug). */
  async insert(input: { slug: string; name: string; ownerUserId?: string }, leaseMs: number, tx?: EntityManager): Promise<Tenant> {
    const tenant = await this.one(
      `INSERT INTO tenants (slug, name, owner_user_id, status, pending_logto_action, sync_attempts, next_sync_at, provisioning_marker)
       VALUES ($1, $2, $3, 'PROVISIONING', 'PROVISION', 1, ${inMs('$4')}, $5)
       RETURNING *`,
      [input.slug, input.name, input.ownerUserId ?? null, leaseMs, newProvisioningMarker()],
      tx,
    );
    if (tenant === undefined) {
      throw new Error('INSERT … RETURNING returned no row');
    }
    return tenant;
  }

  /** The boot-time default tenant; several replicas may race here, exactly one row results. */
  async insertIfAbsent(slug: string, name: string, ownerUserId?: string): Promise<boolean> {
    const inserted = await this.rows(
      `INSERT INTO tenants (slug, name, owner_user_id, status, pending_logto_action, sync_attempts, next_sync_at, provisioning_marker)
       VALUES ($1, $2, $3, 'PROVISIONING', 'PROVISION', 0, now(), $4)
       ON CONFLICT (slug) DO NOTHING
       RETURNING *`,
      [slug, name, ownerUserId ?? null, newProvisioningMarker()],
    );
    return inserted.length > 0;
  }

  async findById(id: string): Promise<Tenant | undefined> {
    return (await this.tenants.findOneBy({ id })) ?? undefined;
  }

  /** The row, locked FOR NO KEY UPDATE until `tx` ends (its key stays free: rows referencing it can still be written). */
  async lock(id: string, tx: EntityManager): Promise<Tenant | undefined> {
    return (await tx.getRepository(Tenant).findOne({ where: { id }, lock: { mode: 'for_no_key_update' } })) ?? undefined;
  }

  /** The tenant bound to a Logto organization (at most one: uq_tenants_logto_organization_id). */
  /** With `tx`, read in the caller's transaction (its connection: embedded PostgreSQL has only one). */
  async findByOrganization(organizationId: string, tx?: EntityManager): Promise<Tenant | undefined> {
    const repository = tx === undefined ? this.tenants : tx.getRepository(Tenant);
    return (await repository.findOneBy({ logtoOrganizationId: organizationId })) ?? undefined;
  }

  async findBySlug(slug: string): Promise<Tenant | undefined> {
    return (await this.tenants.findOneBy({ slug })) ?? undefined;
  }

  /** Oldest first; deleted tenants only when asked for by status, purged ones (tombstones) never. */
  list(filter: TenantListFilter, query: PageQuery): Promise<Page<Tenant>> {
    const status = filter.status ?? Not<TenantStatus>('DELETED');
    const purgedAt = IsNull();
    const pattern = filter.q !== undefined && filter.q !== '' ? ILike(`%${escapeLike(filter.q)}%`) : undefined;
    const where = pattern === undefined ? { status, purgedAt } : [{ status, purgedAt, slug: pattern }, { status, purgedAt, name: pattern }];
    return findPage(this.tenants, query, { where, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Every tenant, for drift checks. */
  all(): Promise<Tenant[]> {
    return this.tenants.find({ order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /**
   * Renames the tenant if the row is still at `version` and not deleted. The new name queues a RENAME in Logto,
   * claimed by this request for `leaseMs` (a new request: an earlier failed RENAME is forgotten), unless other
   * Logto work is already pending (which then carries the name along, failed or not). Undefined when the version
   * no longer matches (or the tenant is gone).
   */
  rename(id: string, version: number, name: string, leaseMs: number, tx?: EntityManager): Promise<Tenant | undefined> {
    return this.one(
      `UPDATE tenants SET
         name = $3,
         pending_logto_action = CASE WHEN coalesce(pending_logto_action, 'RENAME') = 'RENAME' THEN 'RENAME' ELSE pending_logto_action END,
         sync_attempts = CASE WHEN coalesce(pending_logto_action, 'RENAME') = 'RENAME' THEN 1 ELSE sync_attempts END,
         next_sync_at = CASE WHEN coalesce(pending_logto_action, 'RENAME') = 'RENAME' THEN ${inMs('$4')} ELSE next_sync_at END,
         sync_failed_at = CASE WHEN coalesce(pending_logto_action, 'RENAME') = 'RENAME' THEN NULL ELSE sync_failed_at END,
         version = version + 1,
         updated_at = now()
       WHERE id = $1 AND version = $2 AND status <> 'DELETED'
       RETURNING *`,
      [id, version, name, leaseMs],
      tx,
    );
  }

  /** Sets the status if the row is still at `version` and `from` status; undefined otherwise. */
  setStatus(id: string, version: number, from: TenantStatus, to: TenantStatus, tx?: EntityManager): Promise<Tenant | undefined> {
    return this.one(
      `UPDATE tenants SET status = $4, version = version + 1, updated_at = now()
       WHERE id = $1 AND version = $2 AND status = $3
       RETURNING *`,
      [id, version, from, to],
      tx,
    );
  }

  /**
   * Soft delete: DELETED with deletedAt, if the row is still at `version`. Logto work still pending (a PROVISION or
   * RENAME) is dropped: the organization and its members are kept as they are until the purge (a restore finds
   * them), and nothing renames or provisions a deleted tenant meanwhile.
   */
  markDeleted(id: string, version: number, tx?: EntityManager): Promise<Tenant | undefined> {
    return this.one(
      `UPDATE tenants SET
         status = 'DELETED', deleted_at = now(), pending_logto_action = NULL, sync_attempts = 0,
         next_sync_at = NULL, last_sync_error = NULL, last_sync_error_code = NULL, sync_failed_at = NULL,
         version = version + 1, updated_at = now()
       WHERE id = $1 AND version = $2 AND status <> 'DELETED'
       RETURNING *`,
      [id, version],
      tx,
    );
  }

  /**
   * DELETED → SUSPENDED, if the row is still at `version`, deleted less than `retentionDays` ago and its purge has
   * not started (the purge claims only rows past the window, so the two never both succeed). A tenant deleted before
   * its organization existed queues its PROVISION again. Undefined when any of that does not hold.
   */
  restore(id: string, version: number, retentionDays: number, tx?: EntityManager): Promise<Tenant | undefined> {
    return this.one(
      `UPDATE tenants SET
         status = 'SUSPENDED', deleted_at = NULL,
         pending_logto_action = CASE WHEN logto_organization_id IS NULL THEN 'PROVISION' ELSE NULL END,
         sync_attempts = CASE WHEN logto_organization_id IS NULL THEN 2 ELSE 0 END,
         next_sync_at = CASE WHEN logto_organization_id IS NULL THEN now() ELSE NULL END,
         version = version + 1, updated_at = now()
       WHERE id = $1 AND version = $2 AND status = 'DELETED' AND purge_started_at IS NULL
         AND deleted_at > now() - make_interval(days => $3)
       RETURNING *`,
      [id, version, retentionDays],
      tx,
    );
  }

  /**
   * Claims up to `limit` deleted tenants to purge for `leaseMs`: deleted `retentionDays` ago or more (or whose purge
   * started already), not purged, and not leased by another replica (FOR UPDATE SKIP LOCKED on a real server).
   * The first claim starts the purge: from then on the tenant cannot be restored, and its organization's deletion
   * is queued as the tenant's pending Logto work (TenantLogtoSync's DELETE, with its failure and backoff recording).
   * The claim also takes that Logto work, as the reconciler's claimDue would, when it is due (always at the first
   * claim): `holdsLogtoWork` says the purge runs it now; otherwise the reconciler holds it or its backoff runs.
   */
  async claimPurge(limit: number, retentionDays: number, leaseMs: number): Promise<{ tenant: Tenant; holdsLogtoWork: boolean }[]> {
    const lock = (await this.isEmbedded()) ? '' : 'FOR UPDATE SKIP LOCKED';
    const rows = returnedRows<{ id: string; holds: boolean }>(
      await this.dataSource.query(
        `UPDATE tenants AS t SET
           purge_started_at = coalesce(t.purge_started_at, now()),
           purge_lease_until = ${inMs('$3')},
           pending_logto_action = CASE WHEN t.purge_started_at IS NULL THEN 'DELETE' ELSE t.pending_logto_action END,
           sync_attempts = CASE WHEN t.purge_started_at IS NULL THEN 1 WHEN due.holds THEN t.sync_attempts + 1 ELSE t.sync_attempts END,
           next_sync_at = CASE WHEN due.holds THEN ${inMs('$3')} ELSE t.next_sync_at END,
           sync_failed_at = CASE WHEN t.purge_started_at IS NULL THEN NULL ELSE t.sync_failed_at END
         FROM (SELECT id,
                      (purge_started_at IS NULL OR (pending_logto_action IS NOT NULL AND sync_failed_at IS NULL AND next_sync_at <= now())) AS holds
                 FROM tenants
                WHERE status = 'DELETED' AND purged_at IS NULL
                  AND (purge_started_at IS NOT NULL OR deleted_at <= now() - make_interval(days => $2))
                  AND (purge_lease_until IS NULL OR purge_lease_until <= now())
                ORDER BY deleted_at
                LIMIT $1 ${lock}) AS due
         WHERE t.id = due.id
         RETURNING t.id, due.holds`,
        [limit, retentionDays, leaseMs],
      ),
    );
    if (rows.length === 0) {
      return [];
    }
    const tenants = await this.tenants.findBy({ id: In(rows.map((row) => row.id)) });
    const byId = new Map(tenants.map((tenant) => [tenant.id, tenant]));
    return rows.flatMap((row) => {
      const tenant = byId.get(row.id);
      return tenant === undefined ? [] : [{ tenant, holdsLogtoWork: row.holds }];
    });
  }

  /**
   * Deleted tenants not yet purged: restorable (within the window, purge not started), due (past it, nothing pending
   * in Logto) and waiting (their organization's deletion pending or failed).
   */
  async purgeBacklog(retentionDays: number): Promise<{ restorable: number; due: number; waiting: number }> {
    const [row] = await this.dataSource.query<{ restorable: string; due: string; waiting: string }[]>(
      `SELECT count(*) FILTER (WHERE purge_started_at IS NULL AND deleted_at > now() - make_interval(days => $1)) AS restorable,
              count(*) FILTER (WHERE (purge_started_at IS NOT NULL OR deleted_at <= now() - make_interval(days => $1)) AND pending_logto_action IS NULL) AS due,
              count(*) FILTER (WHERE purge_started_at IS NOT NULL AND pending_logto_action IS NOT NULL) AS waiting
         FROM tenants WHERE status = 'DELETED' AND purged_at IS NULL`,
      [retentionDays],
    );
    return { restorable: Number(row?.restorable ?? 0), due: Number(row?.due ?? 0), waiting: Number(row?.waiting ?? 0) };
  }

  /** Records a purge step as done, in the step's own transaction (a no-op when it is recorded already). */
  async recordPurgeStep(id: string, step: string, tx: EntityManager): Promise<void> {
    await tx.query(`UPDATE tenants SET purge_steps = array_append(purge_steps, $2::text) WHERE id = $1 AND NOT ($2::text = ANY (purge_steps))`, [id, step]);
  }

  /** Gives up this replica's lease on a purge that has to wait (its organization's deletion is being retried). */
  async releasePurge(id: string): Promise<void> {
    await this.dataSource.query(`UPDATE tenants SET purge_lease_until = NULL WHERE id = $1 AND purged_at IS NULL`, [id]);
  }

  /**
   * The purge's last step: the tombstone (purgedAt), once the organization is gone (nothing pending in Logto).
   * Undefined when the tenant is purged already or its organization's deletion is still pending: only one caller
   * ever completes a purge (and so records tenant.purged once).
   */
  markPurged(id: string, tx: EntityManager): Promise<Tenant | undefined> {
    return this.one(
      `UPDATE tenants SET purged_at = now(), purge_lease_until = NULL, version = version + 1, updated_at = now()
       WHERE id = $1 AND status = 'DELETED' AND purge_started_at IS NOT NULL AND purged_at IS NULL AND pending_logto_action IS NULL
       RETURNING *`,
      [id],
      tx,
    );
  }

  /**
   * Claims up to `limit` tenants whose Logto work is due: counts the attempt and pushes the next try `leaseMs`
   * ahead, so neither this process nor another replica picks them again meanwhile. On a real server, rows
   * another replica is claiming are skipped (FOR UPDATE SKIP LOCKED); PGlite is one session, a plain select does.
   */
  async claimDue(limit: number, leaseMs: number): Promise<Tenant[]> {
    const lock = (await this.isEmbedded()) ? '' : 'FOR UPDATE SKIP LOCKED';
    return this.rows(
      `UPDATE tenants AS t SET sync_attempts = t.sync_attempts + 1, next_sync_at = ${inMs('$2')}
       FROM (SELECT id FROM tenants
              WHERE pending_logto_action IS NOT NULL AND next_sync_at <= now()
              ORDER BY next_sync_at
              LIMIT $1 ${lock}) AS due
       WHERE t.id = due.id
       RETURNING t.*`,
      [limit, leaseMs],
    );
  }

  /**
   * Queues `action` for a tenant with nothing pending, if it is still at `version` (drift repair). For a
   * missing organization the stale id is dropped and the next attempt searches Logto before creating.
   */
  requeue(id: string, version: number, action: 'PROVISION' | 'RENAME', leaseMs: number, tx?: EntityManager): Promise<Tenant | undefined> {
    const dropOrganization = action === 'PROVISION';
    return this.one(
      `UPDATE tenants SET
         pending_logto_action = $3,
         logto_organization_id = CASE WHEN $4 THEN NULL ELSE logto_organization_id END,
         sync_attempts = CASE WHEN $4 THEN 2 ELSE 1 END,
         next_sync_at = ${inMs('$5')},
         version = CASE WHEN $4 THEN version + 1 ELSE version END,
         updated_at = CASE WHEN $4 THEN now() ELSE updated_at END
       WHERE id = $1 AND version = $2 AND pending_logto_action IS NULL AND status <> 'DELETED'
       RETURNING *`,
      [id, version, action, dropOrganization, leaseMs],
      tx,
    );
  }

  /**
   * How many tenants have Logto work pending (the reconciler's backlog): due now, waiting for their next attempt,
   * or failed permanently (waiting for an operator's POST /api/tenants/:id/sync).
   */
  async backlog(): Promise<{ due: number; waiting: number; failed: number }> {
    const [row] = await this.dataSource.query<{ due: string; waiting: string; failed: string }[]>(
      `SELECT count(*) FILTER (WHERE sync_failed_at IS NULL AND next_sync_at <= now()) AS due,
              count(*) FILTER (WHERE sync_failed_at IS NULL AND next_sync_at > now()) AS waiting,
              count(*) FILTER (WHERE sync_failed_at IS NOT NULL) AS failed
         FROM tenants WHERE pending_logto_action IS NOT NULL`,
    );
    return { due: Number(row?.due ?? 0), waiting: Number(row?.waiting ?? 0), failed: Number(row?.failed ?? 0) };
  }

  /** Records the organization created (or found) for a tenant; undefined if the row already holds another one. */
  storeOrganizationId(id: string, organizationId: string): Promise<Tenant | undefined> {
    return this.one(
      `UPDATE tenants SET logto_organization_id = $2, version = version + 1, updated_at = now()
       WHERE id = $1 AND logto_organization_id IS NULL
       RETURNING *`,
      [id, organizationId],
    );
  }

  /** The stored organization no longer exists in Logto: forget it and provision again. */
  dropOrganization(id: string, organizationId: string): Promise<Tenant | undefined> {
    return this.one(
      `UPDATE tenants SET logto_organization_id = NULL, pending_logto_action = 'PROVISION', sync_attempts = 2,
         version = version + 1, updated_at = now()
       WHERE id = $1 AND logto_organization_id = $2 AND pending_logto_action IN ('PROVISION', 'RENAME')
       RETURNING *`,
      [id, organizationId],
    );
  }

  /** A RENAME without an organization becomes a PROVISION. */
  switchToProvision(id: string): Promise<Tenant | undefined> {
    return this.one(
      `UPDATE tenants SET pending_logto_action = 'PROVISION' WHERE id = $1 AND pending_logto_action = 'RENAME' RETURNING *`,
      [id],
    );
  }

  /**
   * `action` is done for the row as it was at `version`: clears the sync state and, for PROVISION, makes a
   * PROVISIONING tenant ACTIVE. Undefined when the row changed meanwhile (the caller looks again).
   */
  completeSync(id: string, version: number, action: LogtoAction): Promise<Tenant | undefined> {
    return this.one(
      `UPDATE tenants SET
         status = CASE WHEN $3 = 'PROVISION' AND status = 'PROVISIONING' THEN 'ACTIVE' ELSE status END,
         version = CASE WHEN $3 = 'PROVISION' AND status = 'PROVISIONING' THEN version + 1 ELSE version END,
         updated_at = CASE WHEN $3 = 'PROVISION' AND status = 'PROVISIONING' THEN now() ELSE updated_at END,
         pending_logto_action = NULL, sync_attempts = 0, next_sync_at = NULL, last_sync_error = NULL,
         last_sync_error_code = NULL, sync_failed_at = NULL
       WHERE id = $1 AND version = $2 AND pending_logto_action = $3
       RETURNING *`,
      [id, version, action],
    );
  }

  /** An attempt failed: keep the work pending and retry after `delayMs`. */
  async recordFailure(id: string, failure: SyncFailure, delayMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE tenants SET last_sync_error = $2, last_sync_error_code = $3, next_sync_at = ${inMs('$4')}
       WHERE id = $1 AND pending_logto_action IS NOT NULL`,
      [id, failure.message.slice(0, 2000), failure.code?.slice(0, 128) ?? null, delayMs],
    );
  }

  /** Logto refused the work permanently: keep it pending, but retry only when an operator asks (retryFailed). */
  async recordPermanentFailure(id: string, failure: SyncFailure): Promise<void> {
    await this.dataSource.query(
      `UPDATE tenants SET last_sync_error = $2, last_sync_error_code = $3, sync_failed_at = now(), next_sync_at = NULL
       WHERE id = $1 AND pending_logto_action IS NOT NULL`,
      [id, failure.message.slice(0, 2000), failure.code?.slice(0, 128) ?? null],
    );
  }

  /**
   * A new attempt at work that failed permanently, claimed by the asking request for `leaseMs` (counted as an
   * attempt, so a PROVISION looks for an organization an earlier attempt may have created). Undefined when the
   * tenant's work has not failed (nothing pending, or the reconciler is on it).
   */
  retryFailed(id: string, leaseMs: number, tx: EntityManager): Promise<Tenant | undefined> {
    return queryEntities(
      tx,
      Tenant,
      `UPDATE tenants SET sync_failed_at = NULL, sync_attempts = sync_attempts + 1, next_sync_at = ${inMs('$2')}
       WHERE id = $1 AND sync_failed_at IS NOT NULL
       RETURNING *`,
      [id, leaseMs],
    ).then((rows) => rows[0]);
  }

  /** PGlite (one session, in tests and development) has nobody to skip locks for. */
  private isEmbedded(): Promise<boolean> {
    this.embedded ??= this.dataSource.query<{ version: string }[]>(`SELECT version() AS version`).then(
      (rows) => /PGlite/i.test(rows[0]?.version ?? ''),
      (error: unknown) => {
        this.embedded = undefined;
        throw error;
      },
    );
    return this.embedded;
  }
}
