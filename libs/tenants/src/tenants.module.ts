import { Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { LogtoClientModule } from '@app/logto-client';
import { IdempotencyModule } from '@app/service-core';
import { principalOf, TENANT_ORGANIZATIONS } from '@app/security';
import { TenantEvents } from './tenant-events';
import { TenantLogtoSync } from './tenant-logto-sync';
import { TenantOrganizationsStore } from './tenant-organizations';
import { TenantReconciler } from './tenant-reconciler';
import { TenantsController } from './tenants.controller';
import { tenantsConfig } from './tenants.config';
import { TenantsRepository } from './tenants.repository';
import { TenantsService } from './tenants.service';

/** Idempotency keys are scoped to the verified caller: subject, client and organization of the token. */
export function idempotencyCallerOf(request: FastifyRequest): string | undefined {
  const principal = principalOf(request);
  if (principal === undefined) {
    return undefined;
  }
  return principal.scheme === 'logto'
    ? `logto:${principal.clientId}:${principal.subject}:${principal.organizationId ?? '-'}`
    : `machine:${principal.kind}:${principal.tenantId}:${principal.subject}`;
}

/**
 * Tenants and their Logto organizations. Global so the security guard (and forward-auth, licensing) can inject
 * TENANT_ORGANIZATIONS, TenantsService and TenantEvents.
 */
@Global()
@Module({
  imports: [ConfigModule.forFeature(tenantsConfig), LogtoClientModule, IdempotencyModule.forFeature({ callerOf: idempotencyCallerOf })],
  controllers: [TenantsController],
  providers: [
    TenantsRepository,
    TenantsService,
    TenantLogtoSync,
    TenantReconciler,
    TenantEvents,
    { provide: TENANT_ORGANIZATIONS, useClass: TenantOrganizationsStore },
  ],
  exports: [TenantsService, TenantEvents, TENANT_ORGANIZATIONS],
})
export class TenantsModule {}
