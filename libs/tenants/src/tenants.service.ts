import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { isUniqueViolation, isUuid, Page, PageQuery, retryOptimistically, STALE } from '@app/service-core';
import { EventOutbox, EventType } from '@app/events';
import { AuditTrail, ChangedBy } from '@app/security';
import { TenantEvents } from './tenant-events';
import { TenantLogtoSync } from './tenant-logto-sync';
import { Tenant, TenantStatus } from './tenant.entity';
import { TenantListFilter, TenantsRepository } from './tenants.repository';
import { tenantsConfig, TenantsConfig } from './tenants.config';
import { tenantNotFound, TenantsError } from './tenants-errors';

export interface CreateTenantInput {
  readonly slug: string;
  readonly name: string;
  readonly ownerUserId?: string;
}

/** The ETag of a tenant's representation. */
export function tenantEtag(tenant: Pick<Tenant, 'version'>): string {
  return `W/"${tenant.version}"`;
}

/** An If-Match header: `*`, or the versions it lists (weak or strong tags); undefined when absent. */
function parseIfMatch(header: string | undefined): '*' | ReadonlySet<number> | undefined {
  if (header === undefined) {
    return undefined;
  }
  if (header.trim() === '*') {
    return '*';
  }
  const versions = new Set<number>();
  for (const match of header.matchAll(/(?:W\/)?"(\d{1,10})"/g)) {
    versions.add(Number(match[1]));
  }
  return versions;
}

function preconditionFailed(): TenantsError {
  return new TenantsError('PRECONDITION_FAILED', 'The tenant has changed since the version given in If-Match; fetch it again.');
}

function invalidTransition(from: TenantStatus, to: TenantStatus): TenantsError {
  return new TenantsError('INVALID_STATUS_TRANSITION', `A tenant cannot go from ${from} to ${to}; only ACTIVE ↔ SUSPENDED may be set.`);
}

function changedConcurrently(): TenantsError {
  return new TenantsError('CONFLICT', 'The tenant is being changed concurrently; retry.');
}

/** The version-guarded write matched nothing: with If-Match that is the client's stale version, else retry. */
function stale(expected: IfMatch): typeof STALE {
  if (expected !== undefined) {
    throw preconditionFailed();
  }
  return STALE;
}

type IfMatch = ReturnType<typeof parseIfMatch>;

/** The audit trail's actions on tenants (`tenant.repaired`: the reconciler's drift repairs). */
export type TenantAuditAction =
  | 'tenant.created'
  | 'tenant.renamed'
  | 'tenant.suspended'
  | 'tenant.resumed'
  | 'tenant.deleted'
  | 'tenant.repaired'
  | 'tenant.sync_retried';

/** The event-feed event each audited tenant change also is; repairs and retries change nothing the data plane sees. */
const FEED_EVENT_OF: Readonly<Partial<Record<TenantAuditAction, EventType>>> = {
  'tenant.created': 'tenant.created',
  'tenant.renamed': 'tenant.updated',
  'tenant.suspended': 'tenant.suspended',
  'tenant.resumed': 'tenant.resumed',
  'tenant.deleted': 'tenant.deleted',
};

function requireExisting(tenant: Tenant | undefined): Tenant {
  if (tenant === undefined || tenant.status === 'DELETED') {
    throw tenantNotFound();
  }
  return tenant;
}

function requireActive(tenant: Tenant): Tenant {
  if (tenant.status !== 'ACTIVE') {
    throw new TenantsError('TENANT_NOT_ACTIVE', `The tenant is ${tenant.status}.`);
  }
  return tenant;
}

/**
 * Tenants: create (then provision the Logto organization), read, rename, suspend/resume, soft-delete.
 * Logto failures never fail a request: the row keeps the pending work and the reconciler finishes it.
 */
@Injectable()
export class TenantsService {
  private readonly logger = new Logger('Tenants');

  constructor(
    private readonly repository: TenantsRepository,
    private readonly sync: TenantLogtoSync,
    private readonly events: TenantEvents,
    private readonly dataSource: DataSource,
    private readonly audit: AuditTrail,
    private readonly outbox: EventOutbox,
    @Inject(tenantsConfig.KEY) private readonly config: TenantsConfig,
  ) {}

  /**
   * Runs `write` and, when it changed a row, records `action` (and its event-feed event) in the same transaction: a
   * tenant change is never committed without its audit record and event, nor recorded without the change.
   */
  async audited<T extends Tenant | undefined>(action: TenantAuditAction, by: ChangedBy, write: (tx: EntityManager) => Promise<T>, reason?: string): Promise<T> {
    return this.dataSource.transaction(async (tx) => {
      const tenant = await write(tx);
      if (tenant !== undefined) {
        await this.audit.record({ tenantId: tenant.id, actor: by.actor, action, targetId: tenant.id, sourceIp: by.sourceIp, reason }, tx);
        const type = FEED_EVENT_OF[action];
        if (type !== undefined) {
          await this.outbox.append(tx, { type, tenantId: tenant.id, data: { id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status } });
        }
      }
      return tenant;
    });
  }

  /**
   * Commits the tenant as PROVISIONING, then creates its organization. `provisioned` is false when Logto was
   * unavailable or unconfigured, or refused the work: the tenant is kept, and the reconciler provisions it later
   * (or, after a permanent refusal, an operator asks again). An owner Logto does not know is refused first
   * (OWNER_NOT_FOUND): nothing is created, in the database or in Logto.
   */
  async create(input: CreateTenantInput, by: ChangedBy): Promise<{ tenant: Tenant; provisioned: boolean }> {
    if (input.ownerUserId !== undefined && this.sync.configured) {
      await this.sync.assertOwnerExists(input.ownerUserId);
    }
    let tenant: Tenant;
    try {
      tenant = await this.audited('tenant.created', by, (tx) => this.repository.insert(input, this.config.leaseMs, tx));
    } catch (error) {
      if (isUniqueViolation(error, 'uq_tenants_slug')) {
        throw new TenantsError('SLUG_TAKEN', `The slug "${input.slug}" is taken (slugs are never reused, even after deletion).`);
      }
      throw error;
    }
    this.logger.log(`tenant ${tenant.slug} created (${tenant.id})`);
    tenant = this.sync.configured ? await this.sync.runWithin(tenant, this.config.requestBudgetMs) : await this.sync.recordNotConfigured(tenant);
    return { tenant, provisioned: tenant.status !== 'PROVISIONING' };
  }

  /** The tenant, deleted ones included; 404 when there is none. */
  async get(id: string): Promise<Tenant> {
    const tenant = await this.findById(id);
    if (tenant === undefined) {
      throw tenantNotFound();
    }
    return tenant;
  }

  /** The tenant if it exists and is ACTIVE: NOT_FOUND when missing or deleted, TENANT_NOT_ACTIVE otherwise. */
  async getActive(id: string): Promise<Tenant> {
    return requireActive(requireExisting(await this.findById(id)));
  }

  /** The tenant unless it is missing or deleted (TenantsError NOT_FOUND). */
  async getExisting(id: string): Promise<Tenant> {
    return requireExisting(await this.findById(id));
  }

  /**
   * Locks the tenant row (FOR NO KEY UPDATE) for the rest of `tx`, the caller's transaction: writes that depend
   * on the tenant (licenses, agent registrations) run one at a time per tenant and see its status settled.
   * TenantsError NOT_FOUND when missing or deleted, TENANT_NOT_ACTIVE when not ACTIVE.
   */
  async lockActive(tenantId: string, tx: EntityManager): Promise<Tenant> {
    return requireActive(await this.lockExisting(tenantId, tx));
  }

  /** Like lockActive, for writes a suspended (or provisioning) tenant still allows. */
  async lockExisting(tenantId: string, tx: EntityManager): Promise<Tenant> {
    return requireExisting(isUuid(tenantId) ? await this.repository.lock(tenantId, tx) : undefined);
  }

  /** The tenant (deleted ones included), or undefined; never throws for a malformed id. */
  async findById(id: string): Promise<Tenant | undefined> {
    return isUuid(id) ? this.repository.findById(id) : undefined;
  }

  /** The tenant mapped to this Logto organization (deleted ones included), or undefined. */
  findByOrganization(organizationId: string): Promise<Tenant | undefined> {
    return this.repository.findByOrganization(organizationId);
  }

  /** The tenant with this slug (deleted ones included: slugs are never reused), or undefined. */
  findBySlug(slug: string): Promise<Tenant | undefined> {
    return this.repository.findBySlug(slug);
  }

  list(filter: TenantListFilter, query: PageQuery): Promise<Page<Tenant>> {
    return this.repository.list(filter, query);
  }

  /**
   * Renames the tenant (and, now or via the reconciler, its organization). A deleted tenant is TENANT_DELETED.
   * With If-Match, a tenant at another version is PRECONDITION_FAILED and nothing is written (the version is in
   * the UPDATE's WHERE); the same name changes nothing.
   */
  rename(id: string, name: string, by: ChangedBy, ifMatch?: string): Promise<Tenant> {
    const expected = parseIfMatch(ifMatch);
    return retryOptimistically(async () => {
      const tenant = await this.getMatching(id, expected);
      if (tenant.status === 'DELETED') {
        throw new TenantsError('TENANT_DELETED', 'A deleted tenant cannot be changed.');
      }
      if (name === tenant.name) {
        return tenant;
      }
      const renamed = await this.audited('tenant.renamed', by, (tx) => this.repository.rename(id, tenant.version, name, this.config.leaseMs, tx));
      if (renamed === undefined) {
        return stale(expected);
      }
      return renamed.pendingLogtoAction === 'RENAME' && this.sync.configured ? this.sync.runWithin(renamed, this.config.requestBudgetMs) : renamed;
    }, changedConcurrently);
  }

  /** ACTIVE → SUSPENDED (a suspended tenant stays so); anything else is INVALID_STATUS_TRANSITION. */
  suspend(id: string, by: ChangedBy, ifMatch?: string): Promise<Tenant> {
    return this.changeStatus(id, 'ACTIVE', 'SUSPENDED', by, ifMatch);
  }

  /** SUSPENDED → ACTIVE (an active tenant stays so); anything else is INVALID_STATUS_TRANSITION. */
  resume(id: string, by: ChangedBy, ifMatch?: string): Promise<Tenant> {
    return this.changeStatus(id, 'SUSPENDED', 'ACTIVE', by, ifMatch);
  }

  /** Soft delete: DELETED with deletedAt; the Logto organization goes too (now, or via the reconciler). */
  async delete(id: string, by: ChangedBy, ifMatch?: string): Promise<void> {
    const expected = parseIfMatch(ifMatch);
    await retryOptimistically(async () => {
      const tenant = await this.getMatching(id, expected);
      if (tenant.status === 'DELETED') {
        return;
      }
      const deleted = await this.audited('tenant.deleted', by, (tx) => this.repository.markDeleted(id, tenant.version, this.config.leaseMs, tx));
      if (deleted === undefined) {
        return stale(expected);
      }
      this.logger.log(`tenant ${tenant.slug} deleted (${tenant.id})`);
      this.events.emit({ type: 'deleted', tenantId: id, organizationId: tenant.logtoOrganizationId });
      if (this.sync.configured) {
        await this.sync.runWithin(deleted, this.config.requestBudgetMs);
      } else {
        await this.sync.recordNotConfigured(deleted);
      }
    }, changedConcurrently);
  }

  /**
   * A new attempt at Logto work that failed permanently, once an operator fixed the cause: counted, audited (in
   * the same transaction), then run like a request's own work. A tenant whose work has not failed is returned as
   * it is (nothing pending, or the reconciler is retrying it already).
   */
  async retrySync(id: string, by: ChangedBy): Promise<Tenant> {
    const tenant = await this.get(id);
    const queued = await this.audited('tenant.sync_retried', by, (tx) => this.repository.retryFailed(tenant.id, this.config.leaseMs, tx));
    if (queued === undefined) {
      return tenant;
    }
    this.logger.log(`tenant ${queued.slug}: ${queued.pendingLogtoAction} retried on request (attempt ${queued.syncAttempts})`);
    return this.sync.configured ? this.sync.runWithin(queued, this.config.requestBudgetMs) : this.sync.recordNotConfigured(queued);
  }

  /**
   * Creates the configured default tenant unless it exists (safe across restarts and concurrent replicas). Its
   * owner, when configured, is provisioned like the owner of POST /api/tenants; an existing tenant is not changed.
   */
  async ensureDefaultTenant(): Promise<void> {
    const defaults = this.config.defaultTenant;
    if (defaults === undefined) {
      return;
    }
    if (await this.repository.insertIfAbsent(defaults.slug, defaults.name, defaults.ownerUserId)) {
      this.logger.log(`default tenant ${defaults.slug} created; the reconciler provisions its organization`);
    }
  }

  private changeStatus(id: string, from: 'ACTIVE' | 'SUSPENDED', to: 'ACTIVE' | 'SUSPENDED', by: ChangedBy, ifMatch: string | undefined): Promise<Tenant> {
    const expected = parseIfMatch(ifMatch);
    return retryOptimistically(async () => {
      const tenant = await this.getMatching(id, expected);
      if (tenant.status === to) {
        return tenant;
      }
      if (tenant.status !== from) {
        throw invalidTransition(tenant.status, to);
      }
      const updated = await this.audited(to === 'SUSPENDED' ? 'tenant.suspended' : 'tenant.resumed', by, (tx) => this.repository.setStatus(id, tenant.version, from, to, tx));
      if (updated === undefined) {
        return stale(expected);
      }
      this.events.emit({ type: 'status-changed', tenantId: id, organizationId: updated.logtoOrganizationId, from, to });
      return updated;
    }, changedConcurrently);
  }

  /** The tenant (deleted ones included), PRECONDITION_FAILED when If-Match names other versions. */
  private async getMatching(id: string, expected: IfMatch): Promise<Tenant> {
    const tenant = await this.get(id);
    if (expected !== undefined && expected !== '*' && !expected.has(tenant.version)) {
      throw preconditionFailed();
    }
    return tenant;
  }
}
