import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { AuditTrail } from './audit/audit-trail';
import { KeysModule } from './keys';
import { logtoAuthConfig } from './logto/logto-auth.config';
import { LogtoJwks } from './logto/logto-jwks';
import { LogtoTokenVerifier } from './logto/logto-token-verifier';
import { MachineTokensModule } from './machine';
import { PrincipalRevocations } from './revocations/principal-revocations';
import { revocationsConfig } from './revocations/revocations.config';
import { RevocationsPurge } from './revocations/revocations-purge';
import { TokenVerifier } from './tokens/token-verifier';

/**
 * Keys from files, machine tokens, principal revocations, and the one bearer-token verifier (Logto and machine tokens) the
 * guard and forward-auth share. The guard itself comes with AccessModule.
 */
@Module({
  imports: [KeysModule, MachineTokensModule, ConfigModule.forFeature(logtoAuthConfig), ConfigModule.forFeature(revocationsConfig)],
  providers: [LogtoJwks, LogtoTokenVerifier, TokenVerifier, AuditTrail, PrincipalRevocations, RevocationsPurge],
  exports: [KeysModule, MachineTokensModule, TokenVerifier, AuditTrail, LogtoJwks, PrincipalRevocations],
})
export class SecurityModule {}
