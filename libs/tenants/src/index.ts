// Tenants and their Logto organizations (1:1): entity, service, REST API, the reconciler that finishes Logto work,
// the TENANT_ACCESS_DIRECTORY the security guard uses, and in-process tenant events.
export * from './tenant.entity';
export * from './tenant-slug';
export * from './tenants.config';
export * from './tenant-events';
export { TENANTS_ERRORS, TenantsError, type TenantsErrorCode } from './tenants-errors';
export * from './tenant.dto';
export { TenantsService } from './tenants.service';
export { TenantReconciler } from './tenant-reconciler';
export { OWNER_ROLE_NAME } from './tenant-logto-sync';
export * from './tenants.module';
