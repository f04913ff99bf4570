// Keys from files, one folder per purpose: Ed25519 signing keys (license, machine; kid = RFC 7638 thumbprint)
// and the AES-256-GCM session keys behind SessionSealer.
export * from './key-purpose';
export * from './keyring-error';
export * from './key-files';
export * from './jwk-thumbprint';
export * from './ed25519-public-jwk';
export * from './keyring';
export * from './generate-key-pair';
export * from './session-keys';
export * from './session-sealer';
export * from './load-keyring';
export * from './keys.config';
export * from './keyring.tokens';
export * from './jwks.controller';
export * from './keys.module';
