// Tenants and their Logto organizations (1:1), owner of the `tenants` table: what other libs and the app use.
export { Tenant, type TenantStatus } from './tenant.entity';
export { OrganizationMemberSnapshot } from './organization-member-snapshot.entity';
export { tenantsConfigSchema } from './tenants.config';
export { TenantEvents, type TenantEvent } from './tenant-events';
export { TENANTS_ERRORS, TenantsError, type TenantsErrorCode } from './tenants-errors';
export { TenantsService, type RestoredTenant } from './tenants.service';
export { type AfterCommit, type StillStopped, TenantRetirement, type TenantRetirementParticipant } from './tenant-retirement';
// The specs (and the purge crash test's child process) run a purge pass on demand.
export { ORGANIZATION_STEP, PURGED_STEP, type PurgeOptions, TenantPurge } from './tenant-purge';
export { TenantReconciler } from './tenant-reconciler';
export { OWNER_ROLE_NAME } from './tenant-logto-sync';
export { isRepeatedRemoval, type LiveMembershipRecord, MemberRemovals, type MemberRemovalSource } from './member-removals';
export { TenantsModule } from './tenants.module';
