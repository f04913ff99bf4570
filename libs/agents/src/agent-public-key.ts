import { createPublicKey, KeyObject } from 'node:crypto';
import type { Ed25519PublicJwk } from './agent.entities';
import { AgentsError } from './agents.errors';

const PEM_PUBLIC = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\r?\n?$/;
const B64URL_32 = /^[A-Za-z0-9_-]{43}$/;

/** The field prime of Curve25519. */
const P = 2n ** 255n - 19n;
/** y of the order-8 points; ±y8, 0 (order 4), 1 (identity) and p-1 (order 2) are the y of all 8 small-order points. */
const Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;
const SMALL_ORDER_Y = new Set([0n, 1n, P - 1n, Y8, P - Y8]);

/**
 * Why 32 bytes are no acceptable Ed25519 public key, if they are not: an encoding of y that is not reduced mod p
 * (another spelling of a key), or a point of small order. A signature by a small-order key verifies for many
 * messages without any private key (all-zero and the identity are the classic ones), so such a key proves nothing.
 */
function weakness(key: Buffer): string | undefined {
  const bytes = Buffer.from(key);
  const last = bytes.length - 1;
  bytes[last] = (bytes[last] ?? 0) & 0x7f;
  const y = BigInt(`0x${bytes.reverse().toString('hex')}`);
  if (y >= P) {
    return 'is not a canonical Ed25519 encoding (y is not reduced mod p)';
  }
  return SMALL_ORDER_Y.has(y) ? 'is a small-order Ed25519 point, for which signatures can be forged without any private key' : undefined;
}

function weakKeyRefused(message: string): AgentsError {
  return new AgentsError('WEAK_PUBLIC_KEY', `The public key ${message}; generate a fresh Ed25519 key pair.`);
}

function refuse(message: string): AgentsError {
  return new AgentsError('VALIDATION_FAILED', 'The request is invalid; see errors for each field.', {
    errors: [{ field: 'publicKey', messages: [message] }],
  });
}

/**
 * The agent's own Ed25519 public key, as a PEM SPKI string or a public JWK {kty: OKP, crv: Ed25519, x}. Anything
 * else — another key type, a private key in either form, extra JWK members that make it private — is a 400.
 */
export function parseAgentPublicKey(input: unknown): Ed25519PublicJwk {
  let key: KeyObject;
  if (typeof input === 'string') {
    const pem = input.trim() + '\n';
    if (pem.length > 1024 || !PEM_PUBLIC.test(pem)) {
      throw refuse('must be an Ed25519 public key: PEM "BEGIN PUBLIC KEY" (SPKI) or a JWK {kty: "OKP", crv: "Ed25519", x}');
    }
    try {
      key = createPublicKey({ key: pem, format: 'pem' });
    } catch {
      throw refuse('is not a readable PEM public key');
    }
  } else if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const jwk = input as Record<string, unknown>;
    const allowed = new Set(['kty', 'crv', 'x', 'kid', 'use', 'alg']);
    if ('d' in jwk || Object.keys(jwk).some((member) => !allowed.has(member))) {
      throw refuse('must be a public JWK with only kty, crv, x (and optionally kid, use, alg)');
    }
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string' || !B64URL_32.test(jwk.x)) {
      throw refuse('must be an Ed25519 JWK: {kty: "OKP", crv: "Ed25519", x: <32 bytes base64url>}');
    }
    try {
      key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
    } catch {
      throw refuse('is not a valid Ed25519 public key');
    }
  } else {
    throw refuse('must be an Ed25519 public key: PEM SPKI string or JWK object');
  }
  if (key.type !== 'public' || key.asymmetricKeyType !== 'ed25519') {
    throw refuse(`must be an Ed25519 key, not ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  const exported = key.export({ format: 'jwk' });
  if (typeof exported.x !== 'string') {
    throw refuse('is not a valid Ed25519 public key');
  }
  const weak = weakness(Buffer.from(exported.x, 'base64url'));
  if (weak !== undefined) {
    throw weakKeyRefused(weak);
  }
  return { kty: 'OKP', crv: 'Ed25519', x: exported.x };
}

export function publicKeyOf(jwk: Ed25519PublicJwk): KeyObject {
  return createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
}
