/**
 * How the security lib learns which Logto organization a tenant maps to, without depending on the
 * tenants lib (which depends on it). The tenants lib provides it under TENANT_ORGANIZATIONS.
 */
export interface TenantOrganizations {
  /** The Logto organization id of tenant `tenantId`, or undefined when there is no such tenant (or none yet). */
  organizationOf(tenantId: string): Promise<string | undefined>;
  /** The tenant bound to Logto organization `organizationId`, if any. */
  tenantOf(organizationId: string): Promise<string | undefined>;
}

export const TENANT_ORGANIZATIONS = Symbol('TENANT_ORGANIZATIONS');
