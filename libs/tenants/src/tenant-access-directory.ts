import { Injectable } from '@nestjs/common';
import { TenantAccessDirectory, TenantAccessFacts } from '@app/security';
import { isUuid } from '@app/service-core';
import { Tenant } from './tenant.entity';
import { TenantsRepository } from './tenants.repository';

function factsOf(tenant: Tenant | undefined): TenantAccessFacts | undefined {
  return tenant === undefined ? undefined : { id: tenant.id, status: tenant.status, organizationId: tenant.logtoOrganizationId };
}

/** The tenants table as the security lib's TENANT_ACCESS_DIRECTORY; deleted tenants are reported as DELETED. */
@Injectable()
export class TenantAccessDirectoryStore implements TenantAccessDirectory {
  constructor(private readonly repository: TenantsRepository) {}

  async byId(tenantId: string): Promise<TenantAccessFacts | undefined> {
    return isUuid(tenantId) ? factsOf(await this.repository.findById(tenantId)) : undefined;
  }

  async byOrganization(organizationId: string): Promise<TenantAccessFacts | undefined> {
    return factsOf(await this.repository.findByOrganization(organizationId));
  }
}
