import { Injectable, OnModuleInit } from '@nestjs/common';
import { LicenseEvents } from '@app/licensing';
import { ChangeBus } from '@app/service-core';
import { TenantEvents } from '@app/tenants';

/**
 * Turns the in-process events of the tenants and licensing libs into change notifications, so
 * every replica's forward-auth caches drop the tenant (this one immediately, others via NOTIFY).
 */
@Injectable()
export class ChangePublisher implements OnModuleInit {
  constructor(
    private readonly changes: ChangeBus,
    private readonly tenantEvents: TenantEvents,
    private readonly licenseEvents: LicenseEvents,
  ) {}

  onModuleInit(): void {
    this.tenantEvents.on((event) => this.changes.publish({ topic: 'tenant', id: event.tenantId }));
    this.licenseEvents.on((event) => this.changes.publish({ topic: 'license', id: event.tenantId }));
  }
}
