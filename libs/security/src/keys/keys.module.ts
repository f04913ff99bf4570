import { Global, Logger, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { JwksController } from './jwks.controller';
import { SIGNING_KEY_PURPOSES, SigningKeyPurpose } from './key-purpose';
import { Keyring } from './keyring';
import { LICENSE_KEYRING, MACHINE_KEYRING, PLATFORM_KEYRING } from './keyring.tokens';
import { KeysConfig, keysConfig } from './keys.config';
import { LoadedKeys, loadKeys } from './load-keyring';
import { SESSION_KEYRING, SessionSealer } from './session-sealer';

// Every purpose is loaded together, so one purpose's keys are checked against the others'.
const ALL_KEYS = Symbol('ALL_KEYS');

const allKeysProvider = {
  provide: ALL_KEYS,
  inject: [keysConfig.KEY],
  useFactory: (config: KeysConfig): LoadedKeys => {
    const keys = loadKeys({ dir: config.dir, development: config.development, signingKids: config.signingKids });
    const logger = new Logger('Keys');
    for (const purpose of SIGNING_KEY_PURPOSES) {
      const keyring = keys.keyrings[purpose];
      logger.log(`${purpose} keyring: signing kid ${keyring.current.kid}, ${keyring.kids().length} verification key(s)`);
    }
    logger.log(`session keyring: sealing kid ${keys.session.current.kid}, ${keys.session.kids().length} key(s) that open`);
    return keys;
  },
};

function keyringProvider(token: symbol, purpose: SigningKeyPurpose) {
  return { provide: token, inject: [ALL_KEYS], useFactory: (keys: LoadedKeys): Keyring => keys.keyrings[purpose] };
}

/** Loads every key once at boot (a bad key stops the boot), serves the license and platform JWKS, seals session secrets. */
@Global()
@Module({
  imports: [ConfigModule.forFeature(keysConfig)],
  controllers: [JwksController],
  providers: [
    allKeysProvider,
    keyringProvider(LICENSE_KEYRING, 'license'),
    keyringProvider(MACHINE_KEYRING, 'machine'),
    keyringProvider(PLATFORM_KEYRING, 'platform'),
    { provide: SESSION_KEYRING, inject: [ALL_KEYS], useFactory: (keys: LoadedKeys) => keys.session },
    SessionSealer,
  ],
  exports: [LICENSE_KEYRING, MACHINE_KEYRING, PLATFORM_KEYRING, SessionSealer],
})
export class KeysModule {}
