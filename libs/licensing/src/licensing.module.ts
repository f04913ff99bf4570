import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { IdempotencyModule } from '@app/service-core';
import { principalOf } from '@app/security';
import { LicensingController } from './http/licensing.controller';
import { LicenseEvents } from './license-events';
import { licensingConfig } from './licensing.config';
import { LicensingService } from './licensing.service';

/** Idempotency keys are scoped to the verified caller (the same scoping the tenants routes use). */
export function licensingIdempotencyCaller(request: FastifyRequest): string | undefined {
  const principal = principalOf(request);
  if (principal === undefined) {
    return undefined;
  }
  return principal.scheme === 'logto'
    ? `logto:${principal.clientId}:${principal.subject}:${principal.organizationId ?? '-'}`
    : `machine:${principal.kind}:${principal.tenantId}:${principal.subject}`;
}

/**
 * Tenant licenses: the tier catalog, issue/read/revoke over HTTP, Ed25519 license tokens signed with the license
 * keyring (LICENSE_KEYRING from the global KeysModule), and LicenseEvents for in-process listeners.
 */
@Module({
  imports: [ConfigModule.forFeature(licensingConfig), IdempotencyModule.forFeature({ callerOf: licensingIdempotencyCaller })],
  controllers: [LicensingController],
  providers: [LicensingService, LicenseEvents],
  exports: [LicensingService, LicenseEvents],
})
export class LicensingModule {}
