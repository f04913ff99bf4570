import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuditTrail } from './audit/audit-trail';
import { KeysModule } from './keys';
import { logtoAuthConfig } from './logto/logto-auth.config';
import { LogtoJwks } from './logto/logto-jwks';
import { LogtoTokenVerifier } from './logto/logto-token-verifier';
import { MachineTokensModule } from './machine';
import { TokenVerifier } from './tokens/token-verifier';

/**
 * Keys from files, machine tokens, and the one bearer-token verifier (Logto and machine tokens) the
 * guard and forward-auth share. The guard itself comes with AccessModule.
 */
@Module({
  imports: [KeysModule, MachineTokensModule, ConfigModule.forFeature(logtoAuthConfig)],
  providers: [LogtoJwks, LogtoTokenVerifier, TokenVerifier, AuditTrail],
  exports: [KeysModule, MachineTokensModule, TokenVerifier, AuditTrail, LogtoJwks],
})
export class SecurityModule {}
