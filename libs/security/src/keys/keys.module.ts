import { Global, Logger, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { JwksController } from './jwks.controller';
import { KEY_PURPOSES, KeyPurpose } from './key-purpose';
import { Keyring } from './keyring';
import { LICENSE_KEYRING, MACHINE_KEYRING } from './keyring.tokens';
import { KeysConfig, keysConfig } from './keys.config';
import { loadKeyrings } from './load-keyring';

// Every purpose is loaded together, so one purpose's keys are checked against the others'.
const ALL_KEYRINGS = Symbol('ALL_KEYRINGS');

const allKeyringsProvider = {
  provide: ALL_KEYRINGS,
  inject: [keysConfig.KEY],
  useFactory: (config: KeysConfig): Record<KeyPurpose, Keyring> => {
    const keyrings = loadKeyrings({ dir: config.dir, development: config.development, signingKids: config.signingKids });
    for (const purpose of KEY_PURPOSES) {
      const keyring = keyrings[purpose];
      new Logger('Keys').log(`${purpose} keyring: signing kid ${keyring.current.kid}, ${keyring.kids().length} verification key(s)`);
    }
    return keyrings;
  },
};

function keyringProvider(token: symbol, purpose: KeyPurpose) {
  return { provide: token, inject: [ALL_KEYRINGS], useFactory: (keyrings: Record<KeyPurpose, Keyring>): Keyring => keyrings[purpose] };
}

/** Loads every keyring once at boot (a bad key stops the boot) and serves the license JWKS. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(keysConfig)],
  controllers: [JwksController],
  providers: [allKeyringsProvider, keyringProvider(LICENSE_KEYRING, 'license'), keyringProvider(MACHINE_KEYRING, 'machine')],
  exports: [LICENSE_KEYRING, MACHINE_KEYRING],
})
export class KeysModule {}
