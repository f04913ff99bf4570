import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_GUARD } from '@nestjs/core';
import { AccessGuard } from './access/access.guard';
import { AuthMeController } from './access/auth-me.controller';
import { AuditTrail } from './audit/audit-trail';
import { KeysModule } from './keys';
import { logtoAuthConfig } from './logto/logto-auth.config';
import { LogtoSigningKeys } from './logto/logto-signing-keys';
import { LogtoTokenVerifier } from './logto/logto-token-verifier';
import { MachineTokensModule } from './machine';

/**
 * Authentication and authorization for the whole API: keys from files, the Logto and machine-token
 * verifiers, and the global default-deny guard.
 */
@Module({
  imports: [KeysModule, MachineTokensModule, ConfigModule.forFeature(logtoAuthConfig)],
  controllers: [AuthMeController],
  providers: [LogtoSigningKeys, LogtoTokenVerifier, AuditTrail, { provide: APP_GUARD, useClass: AccessGuard }],
  exports: [KeysModule, MachineTokensModule, LogtoTokenVerifier, AuditTrail],
})
export class SecurityModule {}
