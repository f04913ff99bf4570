// Ed25519 signing keys from files: one folder per purpose (license, machine), kid = RFC 7638 thumbprint.
export * from './key-purpose';
export * from './keyring-error';
export * from './key-files';
export * from './jwk-thumbprint';
export * from './ed25519-public-jwk';
export * from './keyring';
export * from './generate-key-pair';
export * from './load-keyring';
export * from './keys.config';
export * from './keyring.tokens';
export * from './jwks.controller';
export * from './keys.module';
