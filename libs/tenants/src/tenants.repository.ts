import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { LogtoAction, Tenant, tenantFromRow, TenantRow, TenantStatus } from './tenant.entity';

export interface TenantListFilter {
  readonly status?: TenantStatus;
  /** Case-insensitive substring of slug or name. */
  readonly q?: string;
  readonly offset: number;
  readonly limit: number;
}

export interface TenantChanges {
  readonly name?: string;
  readonly status?: 'ACTIVE' | 'SUSPENDED';
}

/** `now() + <ms> milliseconds` for a numbered parameter. */
const inMs = (parameter: string): string => `now() + make_interval(secs => ${parameter}::double precision / 1000)`;

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (character) => `\\${character}`);
}

/**
 * Every SQL statement on `tenants`. Writes that a client can see bump `version` and, when they race, are
 * guarded by it in the WHERE clause; sync bookkeeping (attempts, next try, last error) does not bump it.
 */
@Injectable()
export class TenantsRepository {
  private readonly logger = new Logger('Tenants');
  private embedded?: Promise<boolean>;

  constructor(private readonly dataSource: DataSource) {}

  private async rows(sql: string, parameters: unknown[] = []): Promise<Tenant[]> {
    const result = await this.dataSource.query<TenantRow[] | [TenantRow[], number]>(sql, parameters);
    // UPDATE … RETURNING comes back as [rows, count] from the postgres driver.
    const rows = Array.isArray(result[0]) ? result[0] : (result as TenantRow[]);
    return rows.map(tenantFromRow);
  }

  private async one(sql: string, parameters: unknown[] = []): Promise<Tenant | undefined> {
    return (await this.rows(sql, parameters))[0];
  }

  /** A new tenant, PROVISIONING, claimed by the creating request for `leaseMs`. Throws on a taken slug (uq_tenants_slug). */
  async insert(input: { slug: string; name: string; ownerUserId?: string }, leaseMs: number): Promise<Tenant> {
    const tenant = await this.one(
      `INSERT INTO tenants (slug, name, owner_user_id, status, pending_logto_action, sync_attempts, next_sync_at)
       VALUES ($1, $2, $3, 'PROVISIONING', 'PROVISION', 1, ${inMs('$4')})
       RETURNING *`,
      [input.slug, input.name, input.ownerUserId ?? null, leaseMs],
    );
    if (tenant === undefined) {
      throw new Error('INSERT … RETURNING returned no row');
    }
    return tenant;
  }

  /** The boot-time default tenant; several replicas may race here, exactly one row results. */
  async insertIfAbsent(slug: string, name: string): Promise<boolean> {
    const inserted = await this.rows(
      `INSERT INTO tenants (slug, name, status, pending_logto_action, sync_attempts, next_sync_at)
       VALUES ($1, $2, 'PROVISIONING', 'PROVISION', 0, now())
       ON CONFLICT (slug) DO NOTHING
       RETURNING *`,
      [slug, name],
    );
    return inserted.length > 0;
  }

  findById(id: string): Promise<Tenant | undefined> {
    return this.one(`SELECT * FROM tenants WHERE id = $1`, [id]);
  }

  /** The row, locked FOR NO KEY UPDATE until `tx` ends (its key stays free: rows referencing it can still be written). */
  async lock(id: string, tx: EntityManager): Promise<Tenant | undefined> {
    return (await tx.getRepository(Tenant).findOne({ where: { id }, lock: { mode: 'for_no_key_update' } })) ?? undefined;
  }

  /** The tenant bound to a Logto organization (at most one: uq_tenants_logto_organization_id). */
  findByOrganization(organizationId: string): Promise<Tenant | undefined> {
    return this.one(`SELECT * FROM tenants WHERE logto_organization_id = $1`, [organizationId]);
  }

  findBySlug(slug: string): Promise<Tenant | undefined> {
    return this.one(`SELECT * FROM tenants WHERE slug = $1`, [slug]);
  }

  async list(filter: TenantListFilter): Promise<{ items: Tenant[]; total: number }> {
    const conditions: string[] = [];
    const parameters: unknown[] = [];
    if (filter.status !== undefined) {
      parameters.push(filter.status);
      conditions.push(`status = $${parameters.length}`);
    } else {
      conditions.push(`status <> 'DELETED'`);
    }
    if (filter.q !== undefined && filter.q !== '') {
      parameters.push(`%${escapeLike(filter.q)}%`);
      conditions.push(`(slug ILIKE $${parameters.length} ESCAPE '\\' OR name ILIKE $${parameters.length} ESCAPE '\\')`);
    }
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const counted = await this.dataSource.query<{ total: number }[]>(`SELECT count(*)::int AS total FROM tenants ${where}`, parameters);
    const items = await this.rows(
      `SELECT * FROM tenants ${where} ORDER BY created_at, id LIMIT $${parameters.length + 1} OFFSET $${parameters.length + 2}`,
      [...parameters, filter.limit, filter.offset],
    );
    return { items, total: counted[0]?.total ?? 0 };
  }

  /** Every tenant, for drift checks. */
  all(): Promise<Tenant[]> {
    return this.rows(`SELECT * FROM tenants ORDER BY created_at, id`);
  }

  /**
   * Applies a client's change if the row is still at `version` and not deleted. A new name queues a RENAME
   * in Logto, claimed by this request for `leaseMs`, unless other Logto work is already pending (which then
   * carries the name along). Undefined when the version no longer matches (or the tenant is gone).
   */
  update(id: string, version: number, changes: TenantChanges, leaseMs: number): Promise<Tenant | undefined> {
    const rename = changes.name !== undefined;
    return this.one(
      `UPDATE tenants SET
         name = coalesce($3, name),
         status = coalesce($4, status),
         pending_logto_action = CASE WHEN $5 AND coalesce(pending_logto_action, 'RENAME') = 'RENAME' THEN 'RENAME' ELSE pending_logto_action END,
         sync_attempts = CASE WHEN $5 AND coalesce(pending_logto_action, 'RENAME') = 'RENAME' THEN 1 ELSE sync_attempts END,
         next_sync_at = CASE WHEN $5 AND coalesce(pending_logto_action, 'RENAME') = 'RENAME' THEN ${inMs('$6')} ELSE next_sync_at END,
         version = version + 1,
         updated_at = now()
       WHERE id = $1 AND version = $2 AND status <> 'DELETED'
       RETURNING *`,
      [id, version, changes.name ?? null, changes.status ?? null, rename, leaseMs],
    );
  }

  /** Soft delete, queueing the organization's deletion (claimed by this request for `leaseMs`). */
  markDeleted(id: string, version: number, leaseMs: number): Promise<Tenant | undefined> {
    return this.one(
      `UPDATE tenants SET
         status = 'DELETED', deleted_at = now(), pending_logto_action = 'DELETE', sync_attempts = 1,
         next_sync_at = ${inMs('$3')}, last_sync_error = NULL, version = version + 1, updated_at = now()
       WHERE id = $1 AND version = $2 AND status <> 'DELETED'
       RETURNING *`,
      [id, version, leaseMs],
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
  requeue(id: string, version: number, action: 'PROVISION' | 'RENAME', leaseMs: number): Promise<Tenant | undefined> {
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
    );
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
         pending_logto_action = NULL, sync_attempts = 0, next_sync_at = NULL, last_sync_error = NULL
       WHERE id = $1 AND version = $2 AND pending_logto_action = $3
       RETURNING *`,
      [id, version, action],
    );
  }

  /** An attempt failed: keep the work pending and retry after `delayMs`. */
  async recordFailure(id: string, error: string, delayMs: number): Promise<void> {
    await this.dataSource.query(
      `UPDATE tenants SET last_sync_error = $2, next_sync_at = ${inMs('$3')}
       WHERE id = $1 AND pending_logto_action IS NOT NULL`,
      [id, error.slice(0, 2000), delayMs],
    );
  }

  async organizationOf(tenantId: string): Promise<string | undefined> {
    const rows = await this.dataSource.query<{ logto_organization_id: string | null }[]>(
      `SELECT logto_organization_id FROM tenants WHERE id = $1 AND status <> 'DELETED'`,
      [tenantId],
    );
    return rows[0]?.logto_organization_id ?? undefined;
  }

  async tenantOf(organizationId: string): Promise<string | undefined> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `SELECT id FROM tenants WHERE logto_organization_id = $1 AND status <> 'DELETED'`,
      [organizationId],
    );
    return rows[0]?.id;
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
