import { Injectable } from '@nestjs/common';
import { EventChannel } from '@app/service-core';
import { TenantStatus } from './tenant.entity';

/**
 * What happened to a tenant, for in-process listeners (e.g. forward-auth invalidating its caches).
 * `organizationId` is the tenant's Logto organization at the time, when it had one.
 */
export type TenantEvent =
  | { readonly type: 'status-changed'; readonly tenantId: string; readonly organizationId: string | null; readonly from: TenantStatus; readonly to: TenantStatus }
  | { readonly type: 'deleted'; readonly tenantId: string; readonly organizationId: string | null }
  | { readonly type: 'organization-changed'; readonly tenantId: string; readonly organizationId: string | null; readonly previousOrganizationId: string | null };

/** In-process tenant events, emitted after the change is committed. */
@Injectable()
export class TenantEvents extends EventChannel<TenantEvent> {
  constructor() {
    super('TenantEvents');
  }
}
