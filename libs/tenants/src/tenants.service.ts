import { Inject, Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { isUniqueViolation, isUuid, Page, PageQuery, ProblemException, toPage } from '@app/service-core';
import { hasPlatformScope, insufficientScope, LogtoPrincipal } from '@app/security';
import { TenantEvents } from './tenant-events';
import { TenantLogtoSync } from './tenant-logto-sync';
import { Tenant, TenantStatus } from './tenant.entity';
import { TenantChanges, TenantsRepository } from './tenants.repository';
import { tenantsConfig, TenantsConfig } from './tenants.config';
import { tenantNotFound, TenantsError } from './tenants-errors';

const MAX_OPTIMISTIC_RETRIES = 3;

export interface CreateTenantInput {
  readonly slug: string;
  readonly name: string;
  readonly ownerUserId?: string;
}

export interface UpdateTenantInput {
  readonly name?: string;
  readonly status?: TenantStatus;
}

/** The ETag of a tenant's representation. */
export function tenantEtag(tenant: Pick<Tenant, 'version'>): string {
  return `W/"${tenant.version}"`;
}

/** An If-Match header: `*`, or the versions it lists (weak or strong tags); undefined when absent. */
export function parseIfMatch(header: string | undefined): '*' | ReadonlySet<number> | undefined {
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

function preconditionFailed(): ProblemException {
  return new ProblemException(412, 'PRECONDITION_FAILED', 'The tenant has changed since the version given in If-Match; fetch it again.');
}

function invalidTransition(from: TenantStatus, to: TenantStatus): ProblemException {
  return new ProblemException(409, 'INVALID_STATUS_TRANSITION', `A tenant cannot go from ${from} to ${to}; only ACTIVE ↔ SUSPENDED may be set.`);
}

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
    @Inject(tenantsConfig.KEY) private readonly config: TenantsConfig,
  ) {}

  /**
   * Commits the tenant as PROVISIONING, then creates its organization. `provisioned` is false when Logto was
   * unavailable or unconfigured: the tenant is kept and the reconciler provisions it later.
   */
  async create(input: CreateTenantInput): Promise<{ tenant: Tenant; provisioned: boolean }> {
    let tenant: Tenant;
    try {
      tenant = await this.repository.insert(input, this.config.leaseMs);
    } catch (error) {
      if (isUniqueViolation(error, 'uq_tenants_slug')) {
        throw new ProblemException(409, 'SLUG_TAKEN', `The slug "${input.slug}" is taken (slugs are never reused, even after deletion).`);
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

  /** The tenant with this slug (deleted ones included: slugs are never reused), or undefined. */
  findBySlug(slug: string): Promise<Tenant | undefined> {
    return this.repository.findBySlug(slug);
  }

  async list(query: PageQuery & { status?: TenantStatus; q?: string }): Promise<Page<Tenant>> {
    const { items, total } = await this.repository.list({ status: query.status, q: query.q, offset: query.offset, limit: query.pageSize });
    return toPage(items, total, query);
  }

  /**
   * Renames and/or suspends/resumes. Status changes need platform:write (a tenant admin may only rename).
   * With If-Match, a tenant at another version is 412 and nothing is written (the version is in the UPDATE's WHERE).
   */
  async update(id: string, input: UpdateTenantInput, principal: LogtoPrincipal, ifMatch?: string): Promise<Tenant> {
    if (input.status !== undefined && !hasPlatformScope(principal, 'platform:write')) {
      throw insufficientScope('platform:write');
    }
    if (input.name === undefined && input.status === undefined) {
      throw new ProblemException(400, 'VALIDATION_FAILED', 'Nothing to change: give name and/or status.', {
        errors: [{ field: 'name', messages: ['name or status is required'] }],
      });
    }
    const expected = parseIfMatch(ifMatch);
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_RETRIES; attempt++) {
      const tenant = await this.get(id);
      if (expected !== undefined && expected !== '*' && !expected.has(tenant.version)) {
        throw preconditionFailed();
      }
      if (tenant.status === 'DELETED') {
        throw input.status !== undefined
          ? invalidTransition(tenant.status, input.status)
          : new ProblemException(409, 'TENANT_DELETED', 'A deleted tenant cannot be changed.');
      }
      const changes = this.changesFor(tenant, input);
      if (changes.name === undefined && changes.status === undefined) {
        return tenant;
      }
      let updated = await this.repository.update(id, tenant.version, changes, this.config.leaseMs);
      if (updated === undefined) {
        if (expected !== undefined) {
          throw preconditionFailed();
        }
        continue;
      }
      if (changes.status !== undefined) {
        this.events.emit({ type: 'status-changed', tenantId: id, organizationId: updated.logtoOrganizationId, from: tenant.status, to: changes.status });
      }
      if (changes.name !== undefined && updated.pendingLogtoAction === 'RENAME' && this.sync.configured) {
        updated = await this.sync.runWithin(updated, this.config.requestBudgetMs);
      }
      return updated;
    }
    throw new ProblemException(409, 'CONFLICT', 'The tenant is being changed concurrently; retry.');
  }

  /** Soft delete: DELETED with deletedAt; the Logto organization goes too (now, or via the reconciler). */
  async delete(id: string, ifMatch?: string): Promise<void> {
    const expected = parseIfMatch(ifMatch);
    for (let attempt = 0; attempt < MAX_OPTIMISTIC_RETRIES; attempt++) {
      const tenant = await this.get(id);
      if (expected !== undefined && expected !== '*' && !expected.has(tenant.version)) {
        throw preconditionFailed();
      }
      if (tenant.status === 'DELETED') {
        return;
      }
      const deleted = await this.repository.markDeleted(id, tenant.version, this.config.leaseMs);
      if (deleted === undefined) {
        if (expected !== undefined) {
          throw preconditionFailed();
        }
        continue;
      }
      this.logger.log(`tenant ${tenant.slug} deleted (${tenant.id})`);
      this.events.emit({ type: 'deleted', tenantId: id, organizationId: tenant.logtoOrganizationId });
      if (this.sync.configured) {
        await this.sync.runWithin(deleted, this.config.requestBudgetMs);
      } else {
        await this.sync.recordNotConfigured(deleted);
      }
      return;
    }
    throw new ProblemException(409, 'CONFLICT', 'The tenant is being changed concurrently; retry.');
  }

  /** Creates the configured default tenant unless it exists (safe across restarts and concurrent replicas). */
  async ensureDefaultTenant(): Promise<void> {
    const defaults = this.config.defaultTenant;
    if (defaults === undefined) {
      return;
    }
    if (await this.repository.insertIfAbsent(defaults.slug, defaults.name)) {
      this.logger.log(`default tenant ${defaults.slug} created; the reconciler provisions its organization`);
    }
  }

  private changesFor(tenant: Tenant, input: UpdateTenantInput): TenantChanges {
    let status: 'ACTIVE' | 'SUSPENDED' | undefined;
    if (input.status !== undefined && input.status !== tenant.status) {
      const allowed = (tenant.status === 'ACTIVE' && input.status === 'SUSPENDED') || (tenant.status === 'SUSPENDED' && input.status === 'ACTIVE');
      if (!allowed) {
        throw invalidTransition(tenant.status, input.status);
      }
      status = input.status;
    }
    const name = input.name !== undefined && input.name !== tenant.name ? input.name : undefined;
    return { name, status };
  }
}
