import { join } from 'node:path';
import { KeyPurpose } from './key-purpose';

/** A kid is an RFC 7638 thumbprint: base64url of a SHA-256 digest, 43 characters. Nothing else may name a file. */
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

export function purposeFiles(dir: string, purpose: KeyPurpose): PurposeFiles {
  const folder = join(dir, purpose);
  return {
    folder,
    current: join(folder, CURRENT_FILE),
    privateKey: (kid) => join(folder, `${kid}${PRIVATE_KEY_SUFFIX}`),
    publicKey: (kid) => join(folder, `${kid}${PUBLIC_KEY_SUFFIX}`),
  };
}

/** The fix printed with every "missing key" error. */
export function generateHint(purpose: KeyPurpose, dir: string): string {
  return `run \`npm run keys:generate -- --purpose ${purpose} --dir ${dir}\``;
}
