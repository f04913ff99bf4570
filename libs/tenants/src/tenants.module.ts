import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EventsModule } from '@app/events';
import { LogtoClientModule } from '@app/logto-client';
import { IdempotencyModule } from '@app/service-core';
import { callerKeyOf, SecurityModule, TENANT_ACCESS_DIRECTORY } from '@app/security';
import { MemberRemovals } from './member-removals';
import { OrganizationMemberSnapshots } from './organization-member-snapshots';
import { TenantAccessDirectoryStore } from './tenant-access-directory';
import { TenantEvents } from './tenant-events';
import { TenantLogtoSync } from './tenant-logto-sync';
import { TenantPurge } from './tenant-purge';
import { TenantReconciler } from './tenant-reconciler';
import { TenantRetirement } from './tenant-retirement';
import { TenantsController } from './tenants.controller';
import { tenantsConfig } from './tenants.config';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';

/**
 * Tenants and their Logto organizations, and their lifecycle (delete, restore, purge). Modules that need
 * TenantsService, TenantEvents, TenantRetirement (to take part in deletes and purges) or (the security lib's
 * AccessModule) TENANT_ACCESS_DIRECTORY import it.
 */
@Module({
  imports: [ConfigModule.forFeature(tenantsConfig), LogtoClientModule, SecurityModule, EventsModule, IdempotencyModule.forFeature({ callerOf: callerKeyOf })],
  controllers: [TenantsController],
  providers: [
    TenantsRepository,
    TenantsService,
    TenantLogtoSync,
    TenantReconciler,
    TenantEvents,
    MemberRemovals,
    TenantRetirement,
    TenantPurge,
    OrganizationMemberSnapshots,
    { provide: TENANT_ACCESS_DIRECTORY, useClass: TenantAccessDirectoryStore },
  ],
  exports: [TenantsService, TenantEvents, TenantReconciler, MemberRemovals, TenantRetirement, TenantPurge, TENANT_ACCESS_DIRECTORY],
})
export class TenantsModule {}
