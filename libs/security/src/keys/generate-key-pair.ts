import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { ed25519Thumbprint } from './jwk-thumbprint';
import { purposeFiles } from './key-files';
import { SigningKeyPurpose } from './key-purpose';
import { KeyringError } from './keyring-error';

export interface GenerateKeyPairOptions {
  readonly dir: string;
  readonly purpose: SigningKeyPurpose;
  /** Rotate: add a new key and make it current even though a current key exists. Older public keys stay. */
  readonly force?: boolean;
}

export interface GeneratedKeyPair {
  readonly kid: string;
  readonly privatePath: string;
  readonly publicPath: string;
}

/**
 * Writes a new Ed25519 key pair as `<kid>.key.pem` (PKCS#8, 0600) and `<kid>.pub.pem` (SPKI, 0644)
 * and makes it current. Refuses to replace an existing current key unless `force` is set.
 */
export function generateKeyPair(options: GenerateKeyPairOptions): GeneratedKeyPair {
  const files = purposeFiles(options.dir, options.purpose);
  if (!options.force && existsSync(files.current)) {
    throw new KeyringError(
      `${files.current} already names the current ${options.purpose} signing key; pass --force to rotate to a new key (older public keys keep verifying)`,
      files.current,
    );
  }
  mkdirSync(files.folder, { recursive: true, mode: 0o700 });

  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const kid = ed25519Thumbprint(publicKey);
  const privatePath = files.privateKey(kid);
  const publicPath = files.publicKey(kid);

  // 'wx': never overwrite; the mode is set at creation so the private key is never briefly world-readable.
  writeFileSync(privatePath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  chmodSync(privatePath, 0o600);
  writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644, flag: 'wx' });
  chmodSync(publicPath, 0o644);

  // Switch the current key atomically: a crash leaves either the old or the new name, never half a file.
  const staging = `${files.current}.${process.pid}.tmp`;
  writeFileSync(staging, `${kid}\n`, { mode: 0o644 });
  renameSync(staging, files.current);
  return { kid, privatePath, publicPath };
}
