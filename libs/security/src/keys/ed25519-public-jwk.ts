import { KeyObject } from 'node:crypto';
import { ed25519X } from './jwk-thumbprint';

/** A published verification key. Built member by member, so a private member `d` can never leak into it. */
export interface Ed25519PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly use: 'sig';
  readonly alg: 'EdDSA';
}

export function toPublicJwk(kid: string, publicKey: KeyObject): Ed25519PublicJwk {
  if (publicKey.type !== 'public') {
    throw new TypeError('refusing to publish a non-public key');
  }
  return { kty: 'OKP', crv: 'Ed25519', x: ed25519X(publicKey), kid, use: 'sig', alg: 'EdDSA' };
}
