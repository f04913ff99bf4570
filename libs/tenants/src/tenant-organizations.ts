import { Injectable } from '@nestjs/common';
import { TenantOrganizations } from '@app/security';
import { TenantsRepository } from './tenants.repository';

/** The tenants table as the security guard's tenant ↔ Logto organization map; deleted tenants map to nothing. */
@Injectable()
export class TenantOrganizationsStore implements TenantOrganizations {
  constructor(private readonly repository: TenantsRepository) {}

  organizationOf(tenantId: string): Promise<string | undefined> {
    return this.repository.organizationOf(tenantId);
  }

  tenantOf(organizationId: string): Promise<string | undefined> {
    return this.repository.tenantOf(organizationId);
  }
}
