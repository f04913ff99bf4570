import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { IdempotencyModule } from '@app/service-core';
import { callerKeyOf, SecurityModule } from '@app/security';
import { EventsModule } from '@app/events';
import { TenantsModule } from '@app/tenants';
import { LicenseTokenRestorer } from './http/license-token.restorer';
import { LicensingController } from './http/licensing.controller';
import { LicenseEvents } from './license-events';
import { LicenseRetirement } from './license-retirement';
import { licensingConfig } from './licensing.config';
import { LicensingService } from './licensing.service';

/**
 * Tenant licenses: the tier catalog, issue/read/revoke over HTTP, Ed25519 license tokens signed with the license
 * keyring (LICENSE_KEYRING from the global KeysModule), LicenseEvents for in-process listeners, and its part in a
 * tenant's delete (the license revoked) through the tenants lib's TenantRetirement.
 */
@Module({
  imports: [ConfigModule.forFeature(licensingConfig), SecurityModule, TenantsModule, EventsModule, IdempotencyModule.forFeature({ callerOf: callerKeyOf })],
  controllers: [LicensingController],
  providers: [LicensingService, LicenseEvents, LicenseTokenRestorer, LicenseRetirement],
  exports: [LicensingService, LicenseEvents],
})
export class LicensingModule {}
