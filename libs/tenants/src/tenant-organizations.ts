import { Injectable } from '@nestjs/common';
import { TenantAccessDirectory, TenantAccessFacts } from '@app/security';
import { Tenant } from './tenant.entity';
import { TenantsRepository } from './tenants.repository';

/** The tenants table as the security guard's TENANT_ACCESS_DIRECTORY. */
@Injectable()
export class TenantAccessStore implements TenantAccessDirectory {
  constructor(private readonly repository: TenantsRepository) {}

  async byId(tenantId: string): Promise<TenantAccessFacts | undefined> {
    return factsOf(await this.repository.findById(tenantId));
  }

  async byOrganization(organizationId: string): Promise<TenantAccessFacts | undefined> {
    const tenantId = await this.repository.tenantOf(organizationId);
    return tenantId === undefined ? undefined : this.byId(tenantId);
  }
}

function factsOf(tenant: Tenant | undefined): TenantAccessFacts | undefined {
  return tenant === undefined ? undefined : { id: tenant.id, status: tenant.status, organizationId: tenant.logtoOrganizationId };
}
