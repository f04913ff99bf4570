import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { readFileSync, Stats, statSync } from 'node:fs';
import { assertKeyFileAccess } from './key-file-access';
import { KeyringError } from './keyring-error';

function messageOf(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error ? String(error.message) : String(error);
}

function errorCode(error: unknown): string | undefined {
  // Duck-typed: errors from node:fs may come from another realm (e.g. under Jest), so instanceof is unreliable.
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

/** stat that follows symlinks, so a link is judged by the file it points to. */
function statKeyFile(path: string, whatFor: string, missingHint: string): Stats {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') {
      throw new KeyringError(`${whatFor} ${path} is missing (or is a dangling symlink); ${missingHint}`, path);
    }
    throw new KeyringError(`${whatFor} ${path} cannot be examined (${errorCode(error) ?? String(error)}); check that the service user may read it`, path, { cause: error });
  }
  if (!stats.isFile()) {
    throw new KeyringError(`${whatFor} ${path} is not a regular file`, path);
  }
  return stats;
}

function readKeyText(path: string, whatFor: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new KeyringError(
      `${whatFor} ${path} is not readable (${errorCode(error) ?? String(error)}); the service user must own it: chown 10001:10001 ${path}`,
      path,
      { cause: error },
    );
  }
}

/** A folder this user may not examine is reported as such (with the fs error as cause), not as missing. */
export function assertFolderExists(folder: string, hint: string): void {
  try {
    statSync(folder);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') {
      throw new KeyringError(`key folder ${folder} is missing; ${hint}`, folder);
    }
    throw new KeyringError(`key folder ${folder} cannot be examined (${String((error as { code?: unknown }).code)})`, folder, { cause: error });
  }
}

/** Reads a PKCS#8 PEM Ed25519 private key; refuses anything else. */
export function readPrivateKey(path: string, options: { checkAccess: boolean; missingHint: string }): KeyObject {
  const stats = statKeyFile(path, 'private key', options.missingHint);
  if (options.checkAccess) {
    assertKeyFileAccess(path, stats, 'private key');
  }
  const pem = readKeyText(path, 'private key');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new KeyringError(`private key ${path} is not a PEM private key (${messageOf(error)}); ${options.missingHint} to replace it`, path);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new KeyringError(
      `private key ${path} is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519; ` +
        `replace it with an Ed25519 key (\`openssl genpkey -algorithm ed25519\`, or ${options.missingHint} --force)`,
      path,
    );
  }
  return key;
}

/** Reads an SPKI PEM Ed25519 public key; refuses anything else. */
export function readPublicKey(path: string, options: { checkAccess: boolean; missingHint: string }): KeyObject {
  const stats = statKeyFile(path, 'public key', options.missingHint);
  if (options.checkAccess) {
    assertKeyFileAccess(path, stats, 'public key');
  }
  const pem = readKeyText(path, 'public key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new KeyringError(`public key ${path} is not a PEM public key (${messageOf(error)}); remove or replace it`, path);
  }
  if (key.type !== 'public') {
    throw new KeyringError(`public key ${path} holds a private key; a .pub.pem file must hold only the SPKI public key`, path);
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new KeyringError(`public key ${path} is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519; remove or replace it`, path);
  }
  return key;
}

/** Reads the kid named by a `current` file. */
export function readCurrentFile(path: string, options: { checkAccess: boolean; missingHint: string }): string {
  const stats = statKeyFile(path, 'current-key file', options.missingHint);
  if (options.checkAccess) {
    assertKeyFileAccess(path, stats, 'current-key file');
  }
  return readKeyText(path, 'current-key file').trim();
}

/** The bytes of a session key and the text they were read from (a canonical base64url line). */
const SESSION_KEY_BYTES = 32;
const SESSION_KEY_TEXT = /^[A-Za-z0-9_-]{43}$/;

/**
 * Reads a session key: one line holding the canonical base64url (no padding) of exactly 32 bytes. Any other
 * spelling of the same bytes is refused, so one key has one file content and one id.
 */
export function readSessionKey(path: string, options: { checkAccess: boolean; missingHint: string }): Buffer {
  const stats = statKeyFile(path, 'session key', options.missingHint);
  if (options.checkAccess) {
    assertKeyFileAccess(path, stats, 'session key');
  }
  const text = readKeyText(path, 'session key').replace(/\n$/, '');
  const bytes = SESSION_KEY_TEXT.test(text) ? Buffer.from(text, 'base64url') : undefined;
  if (bytes === undefined || bytes.length !== SESSION_KEY_BYTES || bytes.toString('base64url') !== text) {
    throw new KeyringError(
      `session key ${path} is not a session key (one line: the base64url, without padding, of ${SESSION_KEY_BYTES} random bytes); ${options.missingHint} --force to replace it`,
      path,
    );
  }
  return bytes;
}
