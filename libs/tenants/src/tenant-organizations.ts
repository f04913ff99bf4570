import { Injectable } from '@nestjs/common';
import { TenantOrganizations } from '@app/security';
import { isUuid } from '@app/service-core';
import { TenantsRepository } from './tenants.repository';

// Transitional: the security guard still reads TENANT_ORGANIZATIONS. Delete this file (and its provider in
// TenantsModule) once it reads TENANT_ACCESS_DIRECTORY (helper "sec", issue 11).
/** The tenants table as the security guard's tenant ↔ Logto organization map; deleted tenants map to nothing. */
@Injectable()
export class TenantOrganizationsStore implements TenantOrganizations {
  constructor(private readonly repository: TenantsRepository) {}

  async organizationOf(tenantId: string): Promise<string | undefined> {
    const tenant = isUuid(tenantId) ? await this.repository.findById(tenantId) : undefined;
    return tenant === undefined || tenant.status === 'DELETED' ? undefined : (tenant.logtoOrganizationId ?? undefined);
  }

  async tenantOf(organizationId: string): Promise<string | undefined> {
    const tenant = await this.repository.findByOrganization(organizationId);
    return tenant === undefined || tenant.status === 'DELETED' ? undefined : tenant.id;
  }
}
