import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MachineTokenService } from './machine-token.service';
import { machineTokensConfig } from './machine-tokens.config';

/** Provides MachineTokenService. Needs MACHINE_KEYRING, which the global KeysModule provides. */
@Module({
  imports: [ConfigModule.forFeature(machineTokensConfig)],
  providers: [MachineTokenService],
  exports: [MachineTokenService],
})
export class MachineTokensModule {}
