import { KeyObject } from 'node:crypto';
import { Ed25519PublicJwk, toPublicJwk } from './ed25519-public-jwk';
import { SigningKeyPurpose } from './key-purpose';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/**
 * The keys of one purpose: the current key signs; it and every older public key in the folder verify
 * (rotation). Lookup by kid is an in-memory map only; a kid never reaches the file system from here.
 */
export class Keyring {
  private readonly verificationKeys: ReadonlyMap<string, KeyObject>;

  constructor(
    readonly purpose: SigningKeyPurpose,
    readonly current: SigningKey,
    olderPublicKeys: ReadonlyMap<string, KeyObject> = new Map(),
  ) {
    const keys = new Map<string, KeyObject>([[current.kid, current.publicKey]]);
    for (const [kid, key] of olderPublicKeys) {
      if (!keys.has(kid)) {
        keys.set(kid, key);
      }
    }
    this.verificationKeys = keys;
  }

  /** The public key for a token's `kid`, or undefined when this keyring does not know it. */
  verificationKey(kid: string): KeyObject | undefined {
    return this.verificationKeys.get(kid);
  }

  /** Every kid that verifies, the current one first. */
  kids(): string[] {
    return [...this.verificationKeys.keys()];
  }

  /** The verification keys as public JWKs (no `d`), the current one first. */
  publicJwks(): Ed25519PublicJwk[] {
    return [...this.verificationKeys].map(([kid, key]) => toPublicJwk(kid, key));
  }
}
