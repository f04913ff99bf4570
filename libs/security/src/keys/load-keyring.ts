import { createPublicKey, KeyObject, timingSafeEqual } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { generateKeyPair } from './generate-key-pair';
import { ed25519Thumbprint } from './jwk-thumbprint';
import { generateHint, isKid, PUBLIC_KEY_SUFFIX, purposeFiles, PurposeFiles, sessionKeyFiles } from './key-files';
import { assertKeyFolderAccess } from './key-file-access';
import { SESSION_KEY_PURPOSE, SIGNING_KEY_PURPOSES, SIGNING_KID_ENV, SigningKeyPurpose } from './key-purpose';
import { Keyring } from './keyring';
import { KeyringError } from './keyring-error';
import { SessionKeyring, loadSessionKeyring } from './session-keys';
import { assertFolderExists, readCurrentFile, readPrivateKey, readPublicKey } from './read-key-file';

export interface LoadKeyringOptions {
  readonly dir: string;
  readonly purpose: SigningKeyPurpose;
  /** Development generates missing keys once (and reuses them); otherwise every problem stops the boot. */
  readonly development: boolean;
  /** Overrides the `current` file (LICENSE_SIGNING_KID / MACHINE_SIGNING_KID). */
  readonly currentKid?: string;
}

/**
 * Loads the keys of one purpose from `<dir>/<purpose>/`: the current signing key (named by the
 * `current` file or the override) and every `<kid>.pub.pem` for verification. Throws KeyringError,
 * naming the file and the fix, for anything missing, unreadable, mistyped, mismatched or too readable.
 */
export function loadKeyring(options: LoadKeyringOptions): Keyring {
  const { dir, purpose, development, currentKid } = options;
  const files = purposeFiles(dir, purpose);
  const hint = generateHint(purpose, dir);
  // Development generates and uses its own keys; everywhere else who may read and write them is checked.
  const checkAccess = !development;

  if (development && currentKid === undefined && !hasUsableCurrentKey(files)) {
    generateKeyPair({ dir, purpose, force: true });
  }
  assertFolderExists(files.folder, hint);
  if (checkAccess) {
    assertKeyFolderAccess(dir);
    assertKeyFolderAccess(files.folder);
  }

  const kid = currentKid ?? readCurrentFile(files.current, { checkAccess, missingHint: hint });
  if (!isKid(kid)) {
    const source = currentKid === undefined ? `${files.current} names` : `${SIGNING_KID_ENV[purpose]} is`;
    throw new KeyringError(
      `${source} "${kid}", which is not a kid (the 43-character base64url RFC 7638 thumbprint); fix it or ${hint}`,
      currentKid === undefined ? files.current : undefined,
    );
  }

  const privatePath = files.privateKey(kid);
  const privateKey = readPrivateKey(privatePath, { checkAccess, missingHint: hint });
  const publicKey = createPublicKey(privateKey);
  const thumbprint = ed25519Thumbprint(publicKey);
  if (thumbprint !== kid) {
    throw new KeyringError(
      `private key ${privatePath} has the thumbprint ${thumbprint}, not the kid its name says; rename it to ${thumbprint}.key.pem (and its public key) or ${hint} --force`,
      privatePath,
    );
  }

  const publicPath = files.publicKey(kid);
  if (!readPublicKey(publicPath, { checkAccess, missingHint: `restore it with \`openssl pkey -in ${privatePath} -pubout -out ${publicPath}\`` }).equals(publicKey)) {
    throw new KeyringError(
      `public key ${publicPath} does not match private key ${privatePath}; restore it with \`openssl pkey -in ${privatePath} -pubout -out ${publicPath}\``,
      publicPath,
    );
  }

  return new Keyring(purpose, { kid, privateKey, publicKey }, loadOlderPublicKeys(files, kid, checkAccess));
}

/** Development only: is there a current file naming a key whose private file exists? */
function hasUsableCurrentKey(files: PurposeFiles): boolean {
  if (!existsSync(files.current)) {
    return false;
  }
  const kid = readCurrentFile(files.current, { checkAccess: false, missingHint: '' });
  return isKid(kid) && existsSync(files.privateKey(kid));
}

/** Every other `<kid>.pub.pem` of the folder verifies (keys rotated out of signing). */
function loadOlderPublicKeys(files: PurposeFiles, currentKid: string, checkAccess: boolean): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  const names = readdirSync(files.folder)
    .filter((name) => name.endsWith(PUBLIC_KEY_SUFFIX))
    .sort();
  for (const name of names) {
    const kid = name.slice(0, -PUBLIC_KEY_SUFFIX.length);
    if (kid === currentKid) {
      continue;
    }
    const path = `${files.folder}/${name}`;
    if (!isKid(kid)) {
      throw new KeyringError(`public key ${path} is not named <kid>${PUBLIC_KEY_SUFFIX}; rename it to its RFC 7638 thumbprint or remove it`, path);
    }
    const key = readPublicKey(path, { checkAccess, missingHint: 'remove it' });
    const thumbprint = ed25519Thumbprint(key);
    if (thumbprint !== kid) {
      throw new KeyringError(`public key ${path} has the thumbprint ${thumbprint}, not the kid its name says; rename it to ${thumbprint}${PUBLIC_KEY_SUFFIX} or remove it`, path);
    }
    keys.set(kid, key);
  }
  return keys;
}

export interface LoadKeyringsOptions {
  readonly dir: string;
  readonly development: boolean;
  readonly signingKids: Readonly<Partial<Record<SigningKeyPurpose, string>>>;
}

/**
 * Loads the keyring of every purpose and keeps the purposes apart: a key (pair or public key) that
 * verifies for one purpose must not appear under another, or whoever holds one purpose's private key
 * could sign for the other. Throws KeyringError naming both files.
 */
export function loadKeyrings(options: LoadKeyringsOptions): Record<SigningKeyPurpose, Keyring> {
  const keyrings = Object.fromEntries(
    SIGNING_KEY_PURPOSES.map((purpose) => [
      purpose,
      loadKeyring({ dir: options.dir, purpose, development: options.development, currentKid: options.signingKids[purpose] }),
    ]),
  ) as Record<SigningKeyPurpose, Keyring>;
  const owner = new Map<string, SigningKeyPurpose>();
  for (const purpose of SIGNING_KEY_PURPOSES) {
    for (const kid of keyrings[purpose].kids()) {
      const other = owner.get(kid);
      if (other !== undefined) {
        const file = purposeFiles(options.dir, purpose).publicKey(kid);
        throw new KeyringError(
          `${file} is the same key as ${purposeFiles(options.dir, other).publicKey(kid)}; each purpose needs its own key pair: ` +
            `remove the copy and ${generateHint(purpose, options.dir)} --force`,
          file,
        );
      }
      owner.set(kid, purpose);
    }
  }
  return keyrings;
}

export interface LoadedKeys {
  readonly keyrings: Record<SigningKeyPurpose, Keyring>;
  readonly session: SessionKeyring;
}

/**
 * Every purpose, loaded together so each is checked against the others: the signing purposes as in
 * loadKeyrings, and the session keys, none of which may be the 32-byte seed of a signing private key (whoever
 * could read the session folder could then sign as that purpose). Session key ids are digests of a labelled
 * input, so they cannot coincide with a thumbprint; the bytes are what must differ.
 */
export function loadKeys(options: LoadKeyringsOptions): LoadedKeys {
  const keyrings = loadKeyrings(options);
  const session = loadSessionKeyring({ dir: options.dir, development: options.development });
  const sessionFiles = sessionKeyFiles(options.dir);
  for (const purpose of SIGNING_KEY_PURPOSES) {
    const { kid, privateKey } = keyrings[purpose].current;
    const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
    for (const sessionKid of session.kids()) {
      const sessionKey = session.key(sessionKid)!.export();
      if (sessionKey.length === seed.length && timingSafeEqual(sessionKey, seed)) {
        const file = sessionFiles.key(sessionKid);
        throw new KeyringError(
          `${file} holds the private key of ${purposeFiles(options.dir, purpose).privateKey(kid)}; each purpose needs its own key: ` +
            `remove it and ${generateHint(SESSION_KEY_PURPOSE, options.dir)} --force`,
          file,
        );
      }
    }
  }
  return { keyrings, session };
}
