import { join } from 'node:path';
import { KeyPurpose, SESSION_KEY_PURPOSE, SigningKeyPurpose } from './key-purpose';

/**
 * A kid is base64url of a SHA-256 digest, 43 characters: the RFC 7638 thumbprint of an Ed25519 public key, or
 * the session key id (see session-keys.ts). Nothing else may name a file.
 */
export const KID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function isKid(value: string): boolean {
  return KID_PATTERN.test(value);
}

const PRIVATE_KEY_SUFFIX = '.key.pem';
export const PUBLIC_KEY_SUFFIX = '.pub.pem';
const CURRENT_FILE = 'current';

/** Where the files of one purpose live: `<dir>/<purpose>/{<kid>.key.pem, <kid>.pub.pem, current}`. */
export interface PurposeFiles {
  readonly folder: string;
  readonly current: string;
  privateKey(kid: string): string;
  publicKey(kid: string): string;
}

export function purposeFiles(dir: string, purpose: SigningKeyPurpose): PurposeFiles {
  const folder = join(dir, purpose);
  return {
    folder,
    current: join(folder, CURRENT_FILE),
    privateKey: (kid) => join(folder, `${kid}${PRIVATE_KEY_SUFFIX}`),
    publicKey: (kid) => join(folder, `${kid}${PUBLIC_KEY_SUFFIX}`),
  };
}

export const SESSION_KEY_SUFFIX = '.key';

/** Where the session keys live: `<dir>/session/{<kid>.key, current}`. */
export interface SessionKeyFiles {
  readonly folder: string;
  readonly current: string;
  key(kid: string): string;
}

export function sessionKeyFiles(dir: string): SessionKeyFiles {
  const folder = join(dir, SESSION_KEY_PURPOSE);
  return { folder, current: join(folder, CURRENT_FILE), key: (kid) => join(folder, `${kid}${SESSION_KEY_SUFFIX}`) };
}

/** The fix printed with every "missing key" error. */
export function generateHint(purpose: KeyPurpose, dir: string): string {
  return `run \`npm run keys:generate -- --purpose ${purpose} --dir ${dir}\``;
}
