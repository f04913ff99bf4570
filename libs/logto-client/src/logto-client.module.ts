import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { logtoConfig } from './logto.config';
import { LogtoManagementClient } from './logto-management.client';
import { LogtoReadinessCheck } from './logto.readiness';

/**
 * Provides LogtoManagementClient and LogtoReadinessCheck (config namespace `logto`). The app adds the check
 * to its READINESS_CHECKS list, e.g. `{ provide: READINESS_CHECKS, useFactory: (logto) => [logto], inject: [LogtoReadinessCheck] }`.
 */
@Module({
  imports: [ConfigModule.forFeature(logtoConfig)],
  providers: [LogtoManagementClient, LogtoReadinessCheck],
  exports: [LogtoManagementClient, LogtoReadinessCheck],
})
export class LogtoClientModule {}
