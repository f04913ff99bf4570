import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { calculateJwkThumbprint, type JWK } from 'jose';

import { SIGNING_ALG } from '../constants';

const KEY_FILE = 'signing-key.json';

export interface SigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/**
 * Loads the ES384 signing key from the data dir, creating it on first use, so that a restarted dev IdP and the
 * dev:token CLI sign with the same `kid` that verifiers have cached from the JWKS.
 */
export async function loadOrCreateSigningKey(dataDir: string): Promise<SigningKey> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, KEY_FILE);
  const stored = readKeyFile(path) ?? (await createKeyFile(path));
  return toSigningKey(stored);
}

function readKeyFile(path: string): JWK | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as JWK;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}

async function createKeyFile(path: string): Promise<JWK> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  const privateJwk: JWK = { ...jwk, kid: await thumbprintOf(jwk), alg: SIGNING_ALG, use: 'sig' };

  // Write aside, then hard-link into place: link() fails if the file exists, so two processes starting
  // on the same fresh data dir (server and CLI) can never end up with different keys.
  const temp = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temp, JSON.stringify(privateJwk, null, 2), { mode: 0o600 });
  try {
    linkSync(temp, path);
    chmodSync(path, 0o600);
    return privateJwk;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return readKeyFile(path) ?? privateJwk;
    }
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

async function toSigningKey(privateJwk: JWK): Promise<SigningKey> {
  const { kty, crv, x, y } = privateJwk;
  const kid = privateJwk.kid ?? (await thumbprintOf(privateJwk));
  return {
    kid,
    privateJwk: { ...privateJwk, kid, alg: SIGNING_ALG, use: 'sig' },
    publicJwk: { kty, crv, x, y, kid, alg: SIGNING_ALG, use: 'sig' },
  };
}

/** RFC 7638 thumbprint over the required public members, as Logto derives its kids. */
const thumbprintOf = (jwk: JWK): Promise<string> =>
  calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, 'sha256');
