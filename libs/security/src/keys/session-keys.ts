import { createHash, createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { generateHint, isKid, SESSION_KEY_SUFFIX, sessionKeyFiles } from './key-files';
import { assertKeyFolderAccess } from './key-file-access';
import { SESSION_KEY_PURPOSE } from './key-purpose';
import { KeyringError } from './keyring-error';
import { assertFolderExists, readCurrentFile, readSessionKey } from './read-key-file';

/** A key that seals session secrets (AES-256-GCM); `kid` names it in every sealed value. */
export interface SessionKey {
  readonly kid: string;
  readonly key: KeyObject;
}

// The id is a digest of the key under its own label: stable across restarts and replicas, reveals nothing
// about the key, and cannot coincide with an Ed25519 thumbprint (a digest of a different, JSON input).
const SESSION_KID_LABEL = 'cameleer session key id v1\0';

/** The kid of a session key: base64url(SHA-256("cameleer session key id v1\0" ‖ key)), 43 characters. */
export function sessionKeyId(key: Buffer): string {
  return createHash('sha256').update(SESSION_KID_LABEL, 'utf8').update(key).digest('base64url');
}

/**
 * The session keys: the current one seals; it and every older key of the folder open (rotation).
 * Keys are held as KeyObjects, so a stray log line prints no key bytes.
 */
export class SessionKeyring {
  private readonly keys: ReadonlyMap<string, KeyObject>;

  constructor(
    readonly current: SessionKey,
    olderKeys: ReadonlyMap<string, KeyObject> = new Map(),
  ) {
    const keys = new Map<string, KeyObject>([[current.kid, current.key]]);
    for (const [kid, key] of olderKeys) {
      if (!keys.has(kid)) {
        keys.set(kid, key);
      }
    }
    this.keys = keys;
  }

  /** The key named by a sealed value's kid, or undefined when this keyring does not hold it. */
  key(kid: string): KeyObject | undefined {
    return this.keys.get(kid);
  }

  /** Every kid that opens, the current one first. */
  kids(): string[] {
    return [...this.keys.keys()];
  }
}

export interface GeneratedSessionKey {
  readonly kid: string;
  readonly path: string;
}

/**
 * Writes 32 random bytes as `<kid>.key` (base64url, 0600) and makes the key current. Refuses to replace an
 * existing current key unless `force` is set (rotation: older keys stay and keep opening).
 */
export function generateSessionKey(options: { readonly dir: string; readonly force?: boolean }): GeneratedSessionKey {
  const files = sessionKeyFiles(options.dir);
  if (!options.force && existsSync(files.current)) {
    throw new KeyringError(
      `${files.current} already names the current session key; pass --force to rotate to a new key (older keys keep opening)`,
      files.current,
    );
  }
  mkdirSync(files.folder, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  const kid = sessionKeyId(key);
  const path = files.key(kid);
  // 'wx': never overwrite; the mode is set at creation so the key is never briefly readable by others.
  writeFileSync(path, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(path, 0o600);
  const staging = `${files.current}.${process.pid}.tmp`;
  writeFileSync(staging, `${kid}\n`, { mode: 0o644 });
  renameSync(staging, files.current);
  return { kid, path };
}

export interface LoadSessionKeyringOptions {
  readonly dir: string;
  /** Development generates a missing key once (and reuses it); otherwise every problem stops the boot. */
  readonly development: boolean;
}

/**
 * Loads `<dir>/session/`: the key named by `current` seals, every `<kid>.key` opens. The same access rule as
 * the signing keys applies (a session key is judged like a private key). Throws KeyringError naming the file
 * and the fix.
 */
export function loadSessionKeyring(options: LoadSessionKeyringOptions): SessionKeyring {
  const { dir, development } = options;
  const files = sessionKeyFiles(dir);
  const hint = generateHint(SESSION_KEY_PURPOSE, dir);
  const checkAccess = !development;

  if (development && !hasUsableCurrentKey(files.current, files.key)) {
    generateSessionKey({ dir, force: true });
  }
  assertFolderExists(files.folder, hint);
  if (checkAccess) {
    assertKeyFolderAccess(dir);
    assertKeyFolderAccess(files.folder);
  }

  const kid = readCurrentFile(files.current, { checkAccess, missingHint: hint });
  if (!isKid(kid)) {
    throw new KeyringError(`${files.current} names "${kid}", which is not a session key id (43 base64url characters); fix it or ${hint}`, files.current);
  }
  const current = readKey(files.key(kid), kid, checkAccess, hint);

  const older = new Map<string, KeyObject>();
  const names = readdirSync(files.folder)
    .filter((name) => name.endsWith(SESSION_KEY_SUFFIX))
    .sort();
  for (const name of names) {
    const olderKid = name.slice(0, -SESSION_KEY_SUFFIX.length);
    if (olderKid === kid) {
      continue;
    }
    const path = files.key(olderKid);
    if (!isKid(olderKid)) {
      throw new KeyringError(`session key ${path} is not named <kid>${SESSION_KEY_SUFFIX}; rename it to its key id or remove it`, path);
    }
    older.set(olderKid, readKey(path, olderKid, checkAccess, 'remove it'));
  }
  return new SessionKeyring({ kid, key: current }, older);
}

function readKey(path: string, kid: string, checkAccess: boolean, missingHint: string): KeyObject {
  const bytes = readSessionKey(path, { checkAccess, missingHint });
  const actual = sessionKeyId(bytes);
  if (actual !== kid) {
    throw new KeyringError(`session key ${path} has the key id ${actual}, not the one its name says; rename it to ${actual}${SESSION_KEY_SUFFIX} or remove it`, path);
  }
  return createSecretKey(bytes);
}

function hasUsableCurrentKey(current: string, keyPath: (kid: string) => string): boolean {
  if (!existsSync(current)) {
    return false;
  }
  const kid = readCurrentFile(current, { checkAccess: false, missingHint: '' });
  return isKid(kid) && existsSync(keyPath(kid));
}
