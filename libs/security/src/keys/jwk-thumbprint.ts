import { createHash, KeyObject } from 'node:crypto';

/** The raw 32-byte Ed25519 public key, base64url (the JWK member `x`). */
export function ed25519X(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new TypeError('not an Ed25519 public key');
  }
  return jwk.x;
}

/**
 * RFC 7638 JWK thumbprint (base64url SHA-256) of an Ed25519 public key: the required members
 * `crv`, `kty`, `x` in lexicographic order, no whitespace (RFC 8037 §2). Synchronous, so keys load
 * at boot without awaiting; the spec checks it against jose.calculateJwkThumbprint.
 */
export function ed25519Thumbprint(publicKey: KeyObject): string {
  const canonical = JSON.stringify({ crv: 'Ed25519', kty: 'OKP', x: ed25519X(publicKey) });
  return createHash('sha256').update(canonical, 'utf8').digest('base64url');
}
