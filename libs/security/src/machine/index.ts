// Machine tokens: Ed25519 (EdDSA) JWTs for agents, signed and verified with the machine keyring via jose.
export * from './machine-token-kinds';
export * from './machine-tokens.config';
export * from './machine-token.service';
export * from './machine-tokens.module';
