import { Global, Logger, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { JwksController } from './jwks.controller';
import { KeyPurpose } from './key-purpose';
import { Keyring } from './keyring';
import { LICENSE_KEYRING, MACHINE_KEYRING } from './keyring.tokens';
import { KeysConfig, keysConfig } from './keys.config';
import { loadKeyring } from './load-keyring';

function keyringProvider(token: symbol, purpose: KeyPurpose) {
  return {
    provide: token,
    inject: [keysConfig.KEY],
    useFactory: (config: KeysConfig): Keyring => {
      const keyring = loadKeyring({ dir: config.dir, purpose, development: config.development, currentKid: config.signingKids[purpose] });
      new Logger('Keys').log(`${purpose} keyring: signing kid ${keyring.current.kid}, ${keyring.kids().length} verification key(s)`);
      return keyring;
    },
  };
}

/** Loads both keyrings once at boot (a bad key stops the boot) and serves the license JWKS. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(keysConfig)],
  controllers: [JwksController],
  providers: [keyringProvider(LICENSE_KEYRING, 'license'), keyringProvider(MACHINE_KEYRING, 'machine')],
  exports: [LICENSE_KEYRING, MACHINE_KEYRING],
})
export class KeysModule {}
