import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { chmodSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { calculateJwkThumbprint, type JWK } from 'jose';

import { generateStandardId } from '../ids';

/** Until rotation existed the data dir held one private JWK here; it is read as the Current key. */
const LEGACY_KEY_FILE = 'signing-key.json';
const KEYS_FILE = 'signing-keys.json';

/** Logto's `SupportedSigningKeyAlgorithm` (schemas types/logto-config): the key types it can rotate to. */
export const SIGNING_KEY_ALGORITHMS = ['EC', 'RSA'] as const;
export type SigningKeyAlgorithm = (typeof SIGNING_KEY_ALGORITHMS)[number];

/** Logto's `OidcSigningKeyStatus` without `Next`: the dev IdP rotates immediately (no grace period). */
export type SigningKeyStatus = 'Current' | 'Previous';

export interface SigningKey {
  /** Logto's key row id (not the kid). */
  id: string;
  createdAt: number;
  status: SigningKeyStatus;
  kid: string;
  /** ES384 for an EC key, RS256 for RSA: Logto signs with ES384 when its current key is EC, else oidc-provider's default. */
  alg: 'ES384' | 'RS256';
  privateJwk: JWK;
  publicJwk: JWK;
}

/** The stored form: one row per key, as Logto's `oidc.privateKeys` config (there PEM, here a JWK). */
interface StoredKey {
  id: string;
  createdAt: number;
  status: SigningKeyStatus;
  jwk: JWK;
}

/**
 * Loads the signing keys from the data dir (Current first, then Previous, the order oidc-provider signs and
 * publishes them in, as Logto's getOidcProviderPrivateKeys), creating an EC key on first use, so a restarted dev IdP
 * and the dev:token CLI sign with the key verifiers have cached from the JWKS.
 */
export async function loadOrCreateSigningKeys(dataDir: string): Promise<SigningKey[]> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const stored = readJson<StoredKey[]>(join(dataDir, KEYS_FILE)) ?? (await legacyOrNewKeys(dataDir));
  return Promise.all(ordered(stored).map(toSigningKey));
}

/**
 * Logto's immediate rotation (core libraries/oidc-private-key.ts rotatePrivateSigningKeys with no grace period,
 * schemas getImmediatelyRotatedOidcPrivateKeys): the new key becomes Current, the Current one Previous, an older
 * Previous is dropped. Persisted before it is answered.
 */
export async function rotateSigningKeys(dataDir: string, algorithm: SigningKeyAlgorithm): Promise<SigningKey[]> {
  const current = (await loadOrCreateSigningKeys(dataDir)).find((key) => key.status === 'Current');
  const next: StoredKey[] = [
    { id: generateStandardId(), createdAt: Date.now(), status: 'Current', jwk: await newPrivateJwk(algorithm) },
    ...(current ? [{ id: current.id, createdAt: current.createdAt, status: 'Previous' as const, jwk: current.privateJwk }] : []),
  ];
  writeReplacing(join(dataDir, KEYS_FILE), next);
  return Promise.all(next.map(toSigningKey));
}

async function legacyOrNewKeys(dataDir: string): Promise<StoredKey[]> {
  const legacy = readJson<JWK>(join(dataDir, LEGACY_KEY_FILE));
  const keys: StoredKey[] = [
    {
      id: generateStandardId(),
      createdAt: Date.now(),
      status: 'Current',
      jwk: legacy ?? (await newPrivateJwk('EC')),
    },
  ];
  return writeOnce(join(dataDir, KEYS_FILE), keys);
}

const ordered = (keys: StoredKey[]): StoredKey[] =>
  [...keys.filter((key) => key.status === 'Current'), ...keys.filter((key) => key.status === 'Previous')];

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}

/** Logto's generateOidcPrivateKey (cli commands/database/utils.ts): EC on secp384r1, RSA with 4096 bits. */
async function newPrivateJwk(algorithm: SigningKeyAlgorithm): Promise<JWK> {
  const { privateKey } =
    algorithm === 'EC' ? generateKeyPairSync('ec', { namedCurve: 'P-384' }) : generateKeyPairSync('rsa', { modulusLength: 4096 });
  const jwk = privateKey.export({ format: 'jwk' }) as JWK;
  return { ...jwk, kid: await thumbprintOf(jwk) };
}

/**
 * Writes the first key set aside, then hard-links it into place: link() fails if the file exists, so two processes
 * starting on the same fresh data dir (server and CLI) can never end up with different keys.
 */
function writeOnce(path: string, keys: StoredKey[]): StoredKey[] {
  const temp = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temp, JSON.stringify(keys, null, 2), { mode: 0o600 });
  try {
    linkSync(temp, path);
    chmodSync(path, 0o600);
    return keys;
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      return readJson<StoredKey[]>(path) ?? keys;
    }
    throw error;
  } finally {
    unlinkSync(temp);
  }
}

/** Replaces the key set atomically (rename), so a reader never sees half a file. */
function writeReplacing(path: string, keys: StoredKey[]): void {
  const temp = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temp, JSON.stringify(keys, null, 2), { mode: 0o600 });
  renameSync(temp, path);
}

async function toSigningKey({ id, createdAt, status, jwk }: StoredKey): Promise<SigningKey> {
  const kid = jwk.kid ?? (await thumbprintOf(jwk));
  const alg = jwk.kty === 'EC' ? 'ES384' : 'RS256';
  const publicMembers = jwk.kty === 'EC' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: jwk.kty, n: jwk.n, e: jwk.e };
  return {
    id,
    createdAt,
    status,
    kid,
    alg,
    privateJwk: { ...jwk, kid, alg, use: 'sig' },
    publicJwk: { ...publicMembers, kid, alg, use: 'sig' },
  };
}

/** RFC 7638 thumbprint over the required public members, as Logto derives its kids (core utils/jwks.ts). */
const thumbprintOf = (jwk: JWK): Promise<string> =>
  calculateJwkThumbprint(jwk.kty === 'EC' ? { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } : { kty: jwk.kty, n: jwk.n, e: jwk.e }, 'sha256');
