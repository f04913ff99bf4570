import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { LogtoManagementClient, LogtoNotConfiguredError, LogtoNotFoundError, LogtoUnavailableError, Organization, OrganizationRole } from '@app/logto-client';
import {
  MissingOrganizationView,
  OrphanOrganizationView,
  PlatformScopedRoleView,
  ReconcileReportView,
  RemovedMemberView,
  RenamedOrganizationView,
} from './tenant.dto';
import { claimedTenantId, createdForTenant, TenantLogtoSync } from './tenant-logto-sync';
import { Tenant } from './tenant.entity';
import { TenantsRepository } from './tenants.repository';
import { tenantsConfig, TenantsConfig } from './tenants.config';
import { TenantsService } from './tenants.service';
import { TenantsError } from './tenants-errors';
import { MemberRemovals } from './member-removals';
import { OrganizationMemberSnapshots } from './organization-member-snapshots';

const CLAIM_BATCH = 20;

/** Who repairs drift in the audit trail: the platform itself, whether on its timer or on POST /api/tenants/reconcile. */
const RECONCILER = { actor: 'system:reconciler' } as const;

const REPAIR_REASONS = { PROVISION: 'organization_missing', RENAME: 'organization_renamed' } as const;

/**
 * Finishes Logto work that requests could not (Logto down, slow, failing, or this process restarted): every
 * TENANT_RECONCILE_INTERVAL_MS, and once at boot, it claims due tenants and runs their pending action. Every
 * TENANT_DRIFT_INTERVAL_MS (and on POST /api/tenants/reconcile) it compares tenants with Logto organizations.
 */
@Injectable()
export class TenantReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TenantReconciler');
  private syncTimer?: NodeJS.Timeout;
  private driftTimer?: NodeJS.Timeout;
  private syncRun?: Promise<void>;
  private driftRun?: Promise<ReconcileReportView>;
  private stopped = false;
  private warnedUnconfigured = false;

  constructor(
    private readonly tenants: TenantsService,
    private readonly repository: TenantsRepository,
    private readonly sync: TenantLogtoSync,
    private readonly logto: LogtoManagementClient,
    @Inject(tenantsConfig.KEY) private readonly config: TenantsConfig,
    private readonly memberSnapshots: OrganizationMemberSnapshots,
    private readonly memberRemovals: MemberRemovals,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.tenants.ensureDefaultTenant();
    this.syncTimer = setInterval(() => void this.runPending(), this.config.reconcileIntervalMs);
    this.driftTimer = setInterval(() => void this.runDriftQuietly(), this.config.driftIntervalMs);
    this.syncTimer.unref();
    this.driftTimer.unref();
    // At boot: pick up whatever a previous process left unfinished (not awaited: boot does not wait for Logto).
    void this.runPending();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.syncTimer);
    clearInterval(this.driftTimer);
    // Let a running pass finish its statement before the pool closes; its state is in the rows either way.
    await Promise.allSettled([this.syncRun, this.driftRun]);
  }

  /** One pass over due tenants (skipped while the previous pass runs); resolves when it is done. */
  runPending(): Promise<void> {
    this.syncRun ??= this.processDue().finally(() => {
      this.syncRun = undefined;
    });
    return this.syncRun;
  }

  private async processDue(): Promise<void> {
    if (!this.sync.configured) {
      if (!this.warnedUnconfigured) {
        this.warnedUnconfigured = true;
        this.logger.warn('Logto is not configured: tenants stay PROVISIONING until LOGTO_ENDPOINT and M2M credentials are set');
      }
      return;
    }
    try {
      for (let batch = 0; batch < 50 && !this.stopped; batch++) {
        const claimed = await this.repository.claimDue(CLAIM_BATCH, this.config.leaseMs);
        for (const tenant of claimed) {
          if (this.stopped) {
            return;
          }
          await this.sync.run(tenant);
        }
        if (claimed.length < CLAIM_BATCH) {
          return;
        }
      }
    } catch (error) {
      this.logger.warn(`reconcile pass failed: ${String(error)}`);
    }
  }

  private async runDriftQuietly(): Promise<void> {
    try {
      await this.reconcile();
    } catch (error) {
      if (error instanceof TenantsError) {
        this.logger.warn(`drift check skipped: ${error.detail}`);
      } else {
        this.logger.warn(`drift check failed: ${String(error)}`);
      }
    }
  }

  /**
   * Compares every tenant with Logto and repairs what drifted: a missing organization is recreated, a renamed
   * one gets the tenant's name back. Orphan organizations (claiming a tenant that does not exist, is deleted, has
   * another organization, or without the tenant's provisioning marker) and organization roles carrying
   * platform:* scopes are reported, never changed.
   */
  reconcile(): Promise<ReconcileReportView> {
    this.driftRun ??= this.checkDrift().finally(() => {
      this.driftRun = undefined;
    });
    return this.driftRun;
  }

  private async checkDrift(): Promise<ReconcileReportView> {
    const ranAt = new Date().toISOString();
    const organizations = await this.logtoCall(() => this.logto.findOrganizations(() => true));
    const roles = await this.logtoCall(() => this.logto.listOrganizationRoles());
    const tenants = await this.repository.all();
    const organizationsById = new Map(organizations.map((organization) => [organization.id, organization]));
    const missingOrganizations: MissingOrganizationView[] = [];
    const renamedOrganizations: RenamedOrganizationView[] = [];
    const removedMembers: RemovedMemberView[] = [];

    for (const tenant of tenants) {
      if (this.stopped) {
        break;
      }
      const organizationId = tenant.logtoOrganizationId;
      if (organizationId !== null) {
        const organization = organizationsById.get(organizationId);
        await this.checkTenant(tenant, organization, missingOrganizations, renamedOrganizations);
        if (organization !== undefined) {
          await this.compareMembers(tenant, organizationId, removedMembers);
        }
      }
    }

    const orphanOrganizations = this.orphans(organizations, tenants);
    for (const orphan of orphanOrganizations) {
      this.logger.warn(`organization ${orphan.organizationId} ("${orphan.name}") claims tenant ${orphan.claimedTenantId}: ${orphan.reason}`);
    }
    const platformScopedRoles = this.reportPlatformScopedRoles(roles);
    return {
      ranAt,
      tenantsChecked: tenants.length,
      organizationsChecked: organizations.length,
      missingOrganizations,
      renamedOrganizations,
      removedMembers,
      orphanOrganizations,
      platformScopedRoles,
    };
  }

  /**
   * Logto does not retry a failed webhook delivery: a user who was a member at the last pass and is not now was
   * removed, whether or not the webhook said so (MemberRemovals, source `reconciler`; a removal the webhook already
   * recorded gives no second event). Then the snapshot becomes Logto's members. A member added and removed between
   * two passes with both deliveries lost is not seen. One Logto call per tenant and pass; a tenant whose members
   * cannot be read is left for the next pass.
   */
  private async compareMembers(tenant: Tenant, organizationId: string, removedMembers: RemovedMemberView[]): Promise<void> {
    if ((tenant.status !== 'ACTIVE' && tenant.status !== 'SUSPENDED') || tenant.pendingLogtoAction !== null) {
      return;
    }
    let current: string[];
    // Members present now were (re-)added before the read began: dated so, a removal racing the read stays newer.
    const readStartedAt = new Date();
    try {
      current = (await this.logto.listAllOrganizationUsers(organizationId)).map((member) => member.id);
    } catch (error) {
      if (error instanceof LogtoNotFoundError || error instanceof LogtoUnavailableError) {
        this.logger.warn(`tenant ${tenant.slug}: members of ${organizationId} unreadable (${String(error)}); compared at the next pass`);
        return;
      }
      throw error;
    }
    const present = new Set(current);
    for (const userId of await this.memberSnapshots.lastSeen(organizationId)) {
      if (!present.has(userId)) {
        await this.memberRemovals.removed({ organizationId, userId, actor: RECONCILER.actor, source: 'reconciler' });
        this.logger.warn(`tenant ${tenant.slug}: user ${userId} left organization ${organizationId} in Logto without a webhook here; refused from now`);
        removedMembers.push({ tenantId: tenant.id, organizationId, userId });
      }
    }
    // A member with a live removal record is back (its addition's delivery lost, or delivered before the removal):
    // their next removal is a new one (MemberRemovals.readded; only users with such a record are touched).
    await this.memberRemovals.readded({ organizationId, userIds: current, at: readStartedAt });
    await this.memberSnapshots.record(tenant.id, organizationId, current);
  }

  /**
   * The drift pass for one organization, now (a Logto webhook said it was deleted or changed): its tenant is
   * repaired or reported exactly as the periodic pass would (checkTenant), and an organization claiming a tenant it
   * is not is reported as an orphan. An organization no tenant has and that claims none is not ours: nothing to do.
   */
  async reconcileOrganization(organizationId: string): Promise<ReconcileReportView> {
    const ranAt = new Date().toISOString();
    const organization = await this.logtoCall(async () => {
      try {
        return await this.logto.getOrganization(organizationId);
      } catch (error) {
        if (error instanceof LogtoNotFoundError) {
          return undefined;
        }
        throw error;
      }
    });
    const missingOrganizations: MissingOrganizationView[] = [];
    const renamedOrganizations: RenamedOrganizationView[] = [];
    const tenant = await this.repository.findByOrganization(organizationId);
    if (tenant !== undefined) {
      await this.checkTenant(tenant, organization, missingOrganizations, renamedOrganizations);
    }
    const claimed = organization === undefined ? undefined : claimedTenantId(organization);
    const claimedTenant = claimed === undefined ? undefined : claimed === tenant?.id ? tenant : await this.repository.findById(claimed);
    const orphanOrganizations =
      organization === undefined || claimed === undefined ? [] : this.orphans([organization], claimedTenant === undefined ? [] : [claimedTenant]);
    for (const orphan of orphanOrganizations) {
      this.logger.warn(`organization ${orphan.organizationId} ("${orphan.name}") claims tenant ${orphan.claimedTenantId}: ${orphan.reason}`);
    }
    return {
      ranAt,
      tenantsChecked: tenant === undefined ? 0 : 1,
      organizationsChecked: organization === undefined ? 0 : 1,
      missingOrganizations,
      renamedOrganizations,
      removedMembers: [],
      orphanOrganizations,
      platformScopedRoles: [],
    };
  }

  /**
   * Logto's webhook reported these users added to the organization at `at` (its `createdAt`): the next pass's
   * comparison knows them, and a re-added user's next removal is a new one (MemberRemovals.readded).
   */
  async membersAdded(organizationId: string, userIds: readonly string[], at: Date = new Date()): Promise<void> {
    await this.memberRemovals.readded({ organizationId, userIds, at });
    await this.memberSnapshots.added(organizationId, userIds);
  }

  /** Logto's webhook reported (and MemberRemovals recorded) these removals: the next pass does not report them again. */
  membersRemoved(organizationId: string, userIds: readonly string[]): Promise<void> {
    return this.memberSnapshots.removed(organizationId, userIds);
  }

  /**
   * The organization roles carrying platform:* scopes (the bootstrap's rule: platform scopes belong to the
   * platform's own roles, never to an organization role), reported loudly as the drift pass does; for a webhook
   * that says a role's scopes changed.
   */
  async checkOrganizationRoles(): Promise<PlatformScopedRoleView[]> {
    const roles = await this.logtoCall(() => this.logto.listOrganizationRoles());
    return this.reportPlatformScopedRoles(roles);
  }

  /** A Logto call of a targeted check, its failures as the drift pass reports them. */
  private async logtoCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof LogtoNotConfiguredError) {
        throw new TenantsError('LOGTO_NOT_CONFIGURED', 'Logto is not configured, so there is nothing to reconcile with.');
      }
      if (error instanceof LogtoUnavailableError) {
        throw new TenantsError('LOGTO_UNAVAILABLE', 'Logto is unavailable; retry later.', { headers: { 'retry-after': '10' } });
      }
      throw error;
    }
  }

  /**
   * One tenant against its organization as Logto has it (undefined: gone): a missing organization is recreated, a
   * renamed one gets the tenant's name back. Tenants being provisioned, deleted or waiting on a Logto action are
   * left to the sync. The one rule of the drift pass and of the targeted check.
   */
  private async checkTenant(
    tenant: Tenant,
    organization: Organization | undefined,
    missingOrganizations: MissingOrganizationView[],
    renamedOrganizations: RenamedOrganizationView[],
  ): Promise<void> {
    const organizationId = tenant.logtoOrganizationId;
    if ((tenant.status !== 'ACTIVE' && tenant.status !== 'SUSPENDED') || tenant.pendingLogtoAction !== null || organizationId === null) {
      return;
    }
    if (organization === undefined) {
      const after = await this.repair(tenant, 'PROVISION');
      this.logger.warn(`tenant ${tenant.slug}: organization ${organizationId} is missing in Logto; ${after?.pendingLogtoAction === null ? `recreated as ${after.logtoOrganizationId}` : 'recreation pending'}`);
      missingOrganizations.push({
        tenantId: tenant.id,
        slug: tenant.slug,
        previousOrganizationId: organizationId,
        organizationId: after?.logtoOrganizationId ?? null,
        repaired: after !== undefined && after.pendingLogtoAction === null,
      });
    } else if (organization.name !== tenant.name) {
      const after = await this.repair(tenant, 'RENAME');
      this.logger.warn(`tenant ${tenant.slug}: organization ${organizationId} was renamed to "${organization.name}"; restoring "${tenant.name}"`);
      renamedOrganizations.push({
        tenantId: tenant.id,
        slug: tenant.slug,
        organizationId,
        foundName: organization.name,
        restoredName: tenant.name,
        repaired: after !== undefined && after.pendingLogtoAction === null,
      });
    }
  }

  private reportPlatformScopedRoles(roles: readonly OrganizationRole[]): PlatformScopedRoleView[] {
    const platformScopedRoles = this.platformScopedRoles(roles);
    for (const role of platformScopedRoles) {
      this.logger.error(
        `ALERT: organization role "${role.roleName}" (${role.roleId}) carries ${role.scopes.join(', ')}: every member holding it would be a platform operator`,
      );
    }
    return platformScopedRoles;
  }

  /** Queues the repair in the row (so only one replica does it, and audits it once) and runs it now. */
  private async repair(tenant: Tenant, action: 'PROVISION' | 'RENAME'): Promise<Tenant | undefined> {
    const queued = await this.tenants.audited(
      'tenant.repaired',
      RECONCILER,
      (tx) => this.repository.requeue(tenant.id, tenant.version, action, this.config.leaseMs, tx),
      REPAIR_REASONS[action],
    );
    return queued === undefined ? undefined : this.sync.run(queued);
  }

  private orphans(organizations: readonly Organization[], tenants: readonly Tenant[]): OrphanOrganizationView[] {
    const tenantsById = new Map(tenants.map((tenant) => [tenant.id, tenant]));
    const orphans: OrphanOrganizationView[] = [];
    for (const organization of organizations) {
      const claimed = claimedTenantId(organization);
      if (claimed === undefined) {
        continue;
      }
      const tenant = tenantsById.get(claimed);
      const reason = tenant === undefined ? 'UNKNOWN_TENANT' : this.orphanReason(organization, tenant);
      if (reason !== undefined) {
        orphans.push({ organizationId: organization.id, name: organization.name, claimedTenantId: claimed, reason });
      }
    }
    return orphans;
  }

  /** Why an organization claiming an existing tenant is not that tenant's, or undefined when nothing is wrong (yet). */
  private orphanReason(organization: Organization, tenant: Tenant): OrphanOrganizationView['reason'] | undefined {
    const settled = tenant.pendingLogtoAction === null;
    if (tenant.status === 'DELETED') {
      // A deleted tenant keeps its own organization until the purge (a restore finds it); any other is an orphan.
      const keptForRestore = tenant.purgedAt === null && tenant.logtoOrganizationId === organization.id;
      return settled && !keptForRestore ? 'TENANT_DELETED' : undefined;
    }
    if (tenant.logtoOrganizationId === organization.id) {
      return undefined;
    }
    // Not created by this API for the tenant (anyone able to create organizations can name a tenant id): reported
    // even while the tenant is being provisioned, because the sync will never adopt it.
    if (!createdForTenant(organization, tenant)) {
      return 'UNMARKED';
    }
    return settled ? 'DUPLICATE' : undefined;
  }

  private platformScopedRoles(roles: readonly OrganizationRole[]): PlatformScopedRoleView[] {
    return roles.flatMap((role) => {
      const scopes = [...(role.scopes ?? []), ...(role.resourceScopes ?? [])]
        .map((scope) => scope.name)
        .filter((name) => name.startsWith('platform:'));
      return scopes.length > 0 ? [{ roleId: role.id, roleName: role.name, scopes: [...new Set(scopes)].sort() }] : [];
    });
  }
}
