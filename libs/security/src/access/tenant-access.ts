/** A tenant's lifecycle state, as access decisions see it. */
export type TenantState = 'PROVISIONING' | 'ACTIVE' | 'SUSPENDED' | 'DELETED';

/** What an access decision needs to know about a tenant. */
export interface TenantAccessFacts {
  readonly id: string;
  readonly status: TenantState;
  /** The tenant's Logto organization, once it has one. */
  readonly organizationId: string | null;
}

/**
 * How the security lib learns about tenants without depending on the tenants lib (which depends on
 * it). The tenants lib provides it under TENANT_ACCESS_DIRECTORY; the guard refuses to boot without it.
 */
export interface TenantAccessDirectory {
  /** The tenant `tenantId` (a canonical UUID), or undefined when there is no such tenant. */
  byId(tenantId: string): Promise<TenantAccessFacts | undefined>;
  /** The tenant bound to Logto organization `organizationId`, if any. */
  byOrganization(organizationId: string): Promise<TenantAccessFacts | undefined>;
}

export const TENANT_ACCESS_DIRECTORY = Symbol('TENANT_ACCESS_DIRECTORY');
