import { DynamicModule, ForwardReference, Module, Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AuditEventsController } from '../audit/audit-events.controller';
import { SecurityModule } from '../security.module';
import { AccessGuard } from './access.guard';
import { AuthMeController } from './auth-me.controller';

/**
 * The global default-deny AccessGuard, GET /api/auth/me and the operators' GET /api/audit-events, imported once by the app. Both read tenants
 * through TENANT_ACCESS_DIRECTORY, which the tenants lib provides; that lib depends on this one, so the
 * app names the module that exports the directory.
 */
@Module({})
export class AccessModule {
  static forRoot(options: { tenantDirectory: Type | DynamicModule | ForwardReference }): DynamicModule {
    return {
      module: AccessModule,
      imports: [SecurityModule, options.tenantDirectory],
      controllers: [AuthMeController, AuditEventsController],
      providers: [{ provide: APP_GUARD, useClass: AccessGuard }],
    };
  }
}
