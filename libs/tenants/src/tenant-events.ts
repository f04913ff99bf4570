import { Injectable, Logger } from '@nestjs/common';
import { TenantStatus } from './tenant.entity';

/**
 * What happened to a tenant, for in-process listeners (e.g. forward-auth invalidating its caches).
 * `organizationId` is the tenant's Logto organization at the time, when it had one.
 */
export type TenantEvent =
  | { readonly type: 'status-changed'; readonly tenantId: string; readonly organizationId: string | null; readonly from: TenantStatus; readonly to: TenantStatus }
  | { readonly type: 'deleted'; readonly tenantId: string; readonly organizationId: string | null }
  | { readonly type: 'organization-changed'; readonly tenantId: string; readonly organizationId: string | null; readonly previousOrganizationId: string | null };

export type TenantEventListener = (event: TenantEvent) => void;

/** In-process tenant events. Listeners run synchronously after the change is committed; their errors are logged, never thrown. */
@Injectable()
export class TenantEvents {
  private readonly logger = new Logger('TenantEvents');
  private readonly listeners = new Set<TenantEventListener>();

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: TenantEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: TenantEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error, event }, 'a tenant event listener failed');
      }
    }
  }
}
