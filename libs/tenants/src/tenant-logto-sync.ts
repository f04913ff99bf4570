import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Metrics } from '@app/service-core';
import { isPermanentLogtoFailure, LogtoError, LogtoManagementClient, LogtoNotFoundError, Organization } from '@app/logto-client';
import { TenantEvents } from './tenant-events';
import { Tenant } from './tenant.entity';
import { SyncFailure, TenantsRepository } from './tenants.repository';
import { tenantsConfig, TenantsConfig } from './tenants.config';
import { TenantsError } from './tenants-errors';

/** The organization role a tenant's owner gets; it must exist in Logto's organization template. */
/** The organization role a tenant's owner holds (the bootstrap creates it); the members lib keeps at least one. */
export const OWNER_ROLE_NAME = 'owner';

class OwnerRoleMissingError extends Error {
  constructor() {
    super(`Logto has no organization role named "${OWNER_ROLE_NAME}"; create it in the organization template`);
    this.name = 'OwnerRoleMissingError';
  }
}

/** The tenant's owner is not a Logto user: creating anything for the tenant would fail, now and on every retry. */
class OwnerNotFoundError extends Error {
  constructor(
    userId: string,
    readonly logtoError: LogtoNotFoundError,
  ) {
    super(`the owner user ${userId} does not exist in Logto (${logtoError.message})`);
    this.name = 'OwnerNotFoundError';
  }
}

/** A string field of an organization's customData. */
function customDataString(organization: Organization, key: string): string | undefined {
  const data: unknown = organization.customData;
  if (typeof data === 'object' && data !== null && key in data) {
    const value: unknown = (data as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/** The tenant an organization says it belongs to (customData.tenantId); anyone creating organizations can write it. */
export function claimedTenantId(organization: Organization): string | undefined {
  return customDataString(organization, 'tenantId');
}

/**
 * Whether this API created `organization` for `tenant`: it claims the tenant and carries the tenant's provisioning
 * marker (compared in constant time). Only such an organization is ever adopted or deleted as the tenant's.
 */
export function createdForTenant(organization: Organization, tenant: Pick<Tenant, 'id' | 'provisioningMarker'>): boolean {
  const marker = customDataString(organization, 'provisioningMarker');
  if (claimedTenantId(organization) !== tenant.id || marker === undefined) {
    return false;
  }
  const found = Buffer.from(marker);
  const expected = Buffer.from(tenant.provisioningMarker);
  return found.length === expected.length && timingSafeEqual(found, expected);
}

const MAX_ROUNDS = 4;

/**
 * Makes Logto match a tenant row: runs the row's pending action (PROVISION, RENAME, DELETE) and completes it
 * with a version-guarded update, looking again when the row changed meanwhile. A failure is recorded in the row,
 * never thrown: a transient one (Logto down, 5xx, timeout, 429) with the next try after a capped exponential
 * backoff, which the reconciler makes; a permanent one (Logto refused the request, a 4xx: isPermanentLogtoFailure)
 * as failed, with Logto's code and message, retried only when an operator asks.
 */
@Injectable()
export class TenantLogtoSync implements OnApplicationShutdown {
  private readonly logger = new Logger('TenantLogtoSync');
  /** Runs a request stopped waiting for; they finish (and record their outcome) in the background. */
  private readonly background = new Set<Promise<Tenant>>();

  constructor(
    private readonly repository: TenantsRepository,
    private readonly logto: LogtoManagementClient,
    private readonly events: TenantEvents,
    @Inject(tenantsConfig.KEY) private readonly config: TenantsConfig,
    metrics: Metrics,
  ) {
    this.failures = metrics.tally('cameleer_tenant_sync_failures_total', "Failed attempts at a tenant's pending Logto work: transient (retried with backoff), permanent (until an operator asks), unexpected.", {
      transient: { kind: 'transient' },
      permanent: { kind: 'permanent' },
      unexpected: { kind: 'unexpected' },
    });
    metrics.gauge(
      'cameleer_tenant_sync_backlog',
      "Tenants with Logto work pending: due now, waiting for the next attempt, or failed until an operator asks.",
      ['state'],
      async () => {
        const { due, waiting, failed } = await this.repository.backlog();
        return [
          [{ state: 'due' }, due],
          [{ state: 'waiting' }, waiting],
          [{ state: 'failed' }, failed],
        ];
      },
    );
  }

  private readonly failures: { transient: number; permanent: number; unexpected: number };

  get configured(): boolean {
    return this.logto.configured;
  }

  /** Delay before the next try after `attempts` failed attempts. */
  backoffMs(attempts: number): number {
    return Math.min(this.config.backoffBaseMs * 2 ** Math.max(0, Math.min(attempts - 1, 20)), this.config.backoffMaxMs);
  }

  /** Runs the tenant's pending Logto work now; returns the row as it is afterwards. */
  async run(tenant: Tenant): Promise<Tenant> {
    let current = tenant;
    for (let round = 0; round < MAX_ROUNDS && current.pendingLogtoAction !== null; round++) {
      let completed: Tenant | undefined;
      try {
        completed = await this.perform(current);
      } catch (error) {
        await this.recordFailure(current, error);
        return (await this.repository.findById(current.id)) ?? current;
      }
      if (completed !== undefined) {
        this.announce(current, completed);
        return completed;
      }
      const reloaded = await this.repository.findById(current.id);
      if (reloaded === undefined) {
        return current;
      }
      this.announce(current, reloaded);
      current = reloaded;
    }
    return current;
  }

  /**
   * Runs the pending work, but answers after at most `budgetMs` with the row as it is then: a slow Logto must
   * not hold an HTTP request for long. The run goes on in the background under the row's lease.
   */
  async runWithin(tenant: Tenant, budgetMs: number): Promise<Tenant> {
    const run = this.run(tenant);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), budgetMs);
    });
    const finished = await Promise.race([run, timedOut]);
    clearTimeout(timer);
    if (finished !== undefined) {
      return finished;
    }
    this.background.add(run);
    void run.finally(() => this.background.delete(run));
    return (await this.repository.findById(tenant.id)) ?? tenant;
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.background]);
  }

  /** Records that Logto is not configured, so the tenant waits (and says why). */
  async recordNotConfigured(tenant: Tenant): Promise<Tenant> {
    await this.repository.recordFailure(
      tenant.id,
      { message: 'Logto is not configured (LOGTO_ENDPOINT, LOGTO_M2M_APP_ID, LOGTO_M2M_APP_SECRET)', code: null },
      this.backoffMs(tenant.syncAttempts),
    );
    return (await this.repository.findById(tenant.id)) ?? tenant;
  }

  /**
   * Refuses, before anything is created, an owner Logto does not know: TenantsError OWNER_NOT_FOUND (422). When
   * Logto cannot answer now (down, slow, not configured) the request goes on; provisioning checks again.
   */
  async assertOwnerExists(userId: string): Promise<void> {
    try {
      await this.logto.getUser(userId, { retries: 0 });
    } catch (error) {
      if (error instanceof LogtoNotFoundError) {
        throw new TenantsError('OWNER_NOT_FOUND', `There is no Logto user "${userId}"; create the user first or give another ownerUserId.`);
      }
      this.logger.debug(`owner ${userId} not checked before the create (${String(error)}); provisioning checks it`);
    }
  }

  /**
   * Every organization this API created for `tenant` (claiming it and carrying its provisioning marker). A full
   * scan: Logto's `q` does not search customData.
   */
  findOwnOrganizations(tenant: Pick<Tenant, 'id' | 'provisioningMarker'>): Promise<Organization[]> {
    return this.logto.findOrganizations((organization) => createdForTenant(organization, tenant));
  }

  private async perform(tenant: Tenant): Promise<Tenant | undefined> {
    switch (tenant.pendingLogtoAction) {
      case 'PROVISION':
        return this.provision(tenant);
      case 'RENAME':
        return this.rename(tenant);
      case 'DELETE':
        return this.delete(tenant);
      case null:
        return tenant;
    }
  }

  private async provision(tenant: Tenant): Promise<Tenant | undefined> {
    let current = tenant;
    let organizationId = current.logtoOrganizationId;
    if (organizationId === null) {
      if (current.ownerUserId !== null) {
        await this.requireOwner(current.ownerUserId);
      }
      // An earlier attempt may have created the organization without learning its id (timeout, crash); only one
      // carrying this tenant's marker is ours: another naming the tenant is reported as drift, never adopted.
      const existing = current.syncAttempts > 1 ? await this.findOwnOrganizations(current) : [];
      const [adopted, ...duplicates] = existing;
      for (const duplicate of duplicates) {
        await this.deleteOrganization(duplicate.id);
      }
      organizationId = adopted?.id ?? (await this.logto.createOrganization({ name: current.name, customData: this.customData(current) })).id;
      const stored = await this.repository.storeOrganizationId(current.id, organizationId);
      if (stored === undefined) {
        // Another worker stored a different organization first: ours is a duplicate.
        const reloaded = await this.repository.findById(current.id);
        if (reloaded?.logtoOrganizationId !== organizationId) {
          await this.deleteOrganization(organizationId);
        }
        return undefined;
      }
      this.logger.log(`tenant ${current.slug}: organization ${organizationId} ${adopted === undefined ? 'created' : 'found'}`);
      current = stored;
      if (adopted !== undefined && adopted.name !== current.name) {
        await this.logto.updateOrganization(organizationId, { name: current.name, customData: { ...adopted.customData, ...this.customData(current) } });
      }
    } else {
      let organization: Organization;
      try {
        organization = await this.logto.getOrganization(organizationId);
      } catch (error) {
        if (error instanceof LogtoNotFoundError) {
          await this.repository.dropOrganization(current.id, organizationId);
          return undefined;
        }
        throw error;
      }
      if (organization.name !== current.name || !createdForTenant(organization, current)) {
        await this.logto.updateOrganization(organizationId, { name: current.name, customData: { ...organization.customData, ...this.customData(current) } });
      }
    }
    if (current.ownerUserId !== null) {
      const roleId = await this.ownerRoleId();
      await this.logto.addOrganizationUsers(organizationId, [current.ownerUserId]);
      await this.logto.assignOrganizationRoles(organizationId, [current.ownerUserId], [roleId]);
    }
    return this.repository.completeSync(current.id, current.version, 'PROVISION');
  }

  private async rename(tenant: Tenant): Promise<Tenant | undefined> {
    const organizationId = tenant.logtoOrganizationId;
    if (organizationId === null) {
      await this.repository.switchToProvision(tenant.id);
      return undefined;
    }
    try {
      const organization = await this.logto.getOrganization(organizationId);
      await this.logto.updateOrganization(organizationId, { name: tenant.name, customData: { ...organization.customData, ...this.customData(tenant) } });
    } catch (error) {
      if (error instanceof LogtoNotFoundError) {
        await this.repository.dropOrganization(tenant.id, organizationId);
        return undefined;
      }
      throw error;
    }
    return this.repository.completeSync(tenant.id, tenant.version, 'RENAME');
  }

  private async delete(tenant: Tenant): Promise<Tenant | undefined> {
    if (tenant.logtoOrganizationId !== null) {
      await this.deleteOrganization(tenant.logtoOrganizationId);
    }
    // Without a stored id, or after a failed attempt, an organization may exist that the row never learned of.
    if (tenant.logtoOrganizationId === null || tenant.syncAttempts > 1) {
      for (const organization of await this.findOwnOrganizations(tenant)) {
        await this.deleteOrganization(organization.id);
      }
    }
    return this.repository.completeSync(tenant.id, tenant.version, 'DELETE');
  }

  /** An organization that is already gone counts as deleted. */
  private async deleteOrganization(organizationId: string): Promise<void> {
    try {
      await this.logto.deleteOrganization(organizationId);
    } catch (error) {
      if (!(error instanceof LogtoNotFoundError)) {
        throw error;
      }
    }
  }

  private async ownerRoleId(): Promise<string> {
    const roles = await this.logto.listOrganizationRoles();
    const owner = roles.find((role) => role.name === OWNER_ROLE_NAME && role.type === 'User');
    if (owner === undefined) {
      throw new OwnerRoleMissingError();
    }
    return owner.id;
  }

  /** GET /api/users/:id before the organization is created: an unknown owner is a permanent failure. */
  private async requireOwner(userId: string): Promise<void> {
    try {
      await this.logto.getUser(userId);
    } catch (error) {
      throw error instanceof LogtoNotFoundError ? new OwnerNotFoundError(userId, error) : error;
    }
  }

  /** What the organization says about its tenant; the marker lets a later attempt tell ours from a planted one. */
  private customData(tenant: Tenant): Record<string, string> {
    return { tenantId: tenant.id, slug: tenant.slug, provisioningMarker: tenant.provisioningMarker };
  }

  private async recordFailure(tenant: Tenant, error: unknown): Promise<void> {
    const { failure, permanent, expected } = describeFailure(error);
    const delayMs = this.backoffMs(tenant.syncAttempts);
    const what = `tenant ${tenant.slug}: ${tenant.pendingLogtoAction} failed (attempt ${tenant.syncAttempts})`;
    if (permanent) {
      this.failures.permanent++;
      this.logger.warn(`${what} permanently, not retried until an operator asks (POST /api/tenants/${tenant.id}/sync): ${failure.message}`);
    } else if (expected) {
      this.failures.transient++;
      this.logger.warn(`${what}, retrying in ${delayMs} ms: ${failure.message}`);
    } else {
      this.failures.unexpected++;
      this.logger.error({ err: error }, `${what} unexpectedly`);
    }
    try {
      await (permanent ? this.repository.recordPermanentFailure(tenant.id, failure) : this.repository.recordFailure(tenant.id, failure, delayMs));
    } catch (recordError) {
      this.logger.warn(`tenant ${tenant.slug}: could not record the failure: ${String(recordError)}`);
    }
  }

  private announce(before: Tenant, after: Tenant): void {
    if (before.logtoOrganizationId !== after.logtoOrganizationId) {
      this.events.emit({ type: 'organization-changed', tenantId: after.id, organizationId: after.logtoOrganizationId, previousOrganizationId: before.logtoOrganizationId });
    }
    if (before.status !== after.status && after.status !== 'DELETED') {
      this.events.emit({ type: 'status-changed', tenantId: after.id, organizationId: after.logtoOrganizationId, from: before.status, to: after.status });
    }
  }
}

/** A failed attempt as recorded in the row; only Logto's own refusals (and an unknown owner) end the retries. */
function describeFailure(error: unknown): { failure: SyncFailure; permanent: boolean; expected: boolean } {
  if (error instanceof OwnerNotFoundError) {
    return { failure: { message: error.message, code: error.logtoError.code ?? null }, permanent: true, expected: true };
  }
  if (error instanceof LogtoError) {
    return { failure: { message: error.message, code: error.code ?? null }, permanent: isPermanentLogtoFailure(error), expected: true };
  }
  if (error instanceof OwnerRoleMissingError) {
    return { failure: { message: error.message, code: null }, permanent: false, expected: true };
  }
  return { failure: { message: `unexpected error: ${String(error)}`, code: null }, permanent: false, expected: false };
}
