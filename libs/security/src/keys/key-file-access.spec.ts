import { Test } from '@nestjs/testing';
import { withConfigEnv } from '@app/service-core';
import { createPrivateKey } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair } from './generate-key-pair';
import { purposeFiles, sessionKeyFiles } from './key-files';
import { KEY_PURPOSES, KeyPurpose, SIGNING_KEY_PURPOSES } from './key-purpose';
import { KeyringError } from './keyring-error';
import { LICENSE_KEYRING } from './keyring.tokens';
import { KeysModule } from './keys.module';
import { loadKeyrings, loadKeys } from './load-keyring';
import { generateSessionKey, sessionKeyId } from './session-keys';

// These specs build real layouts (owners, groups, modes, symlinks) in temp folders; changing owners needs
// root. Without it those cases are skipped with a printed reason, except in CI (CAMELEER_TEST_REQUIRE_ALL=1).
const runningAsRoot = process.geteuid?.() === 0;
if (!runningAsRoot) {
  if (process.env.CAMELEER_TEST_REQUIRE_ALL === '1') {
    throw new Error('key-file-access.spec.ts needs root (chown builds the Kubernetes Secret layouts)');
  }
  process.stdout.write('skipped (needs root to chown): the owner and group cases of key-file-access.spec.ts\n');
}
const processGroup = process.getegid?.() ?? 0;
// A group this process is not in.
const strangerGroup = 54_321;
const strangerUser = 54_321;

describe('key files: one access rule for every purpose, and purposes kept apart', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'key-access-spec-'));
    for (const purpose of SIGNING_KEY_PURPOSES) {
      generateKeyPair({ dir, purpose });
    }
    generateSessionKey({ dir });
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const production = () => loadKeys({ dir, development: false, signingKids: {} });

  function refusal(fn: () => unknown): KeyringError {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(KeyringError);
      return error as KeyringError;
    }
    throw new Error('expected a KeyringError');
  }

  function currentKid(purpose: KeyPurpose): string {
    const keys = production();
    return purpose === 'session' ? keys.session.current.kid : keys.keyrings[purpose].current.kid;
  }

  /** The files every purpose has: a folder, a `current` file and a secret key file per kid. */
  function layout(purpose: KeyPurpose) {
    if (purpose === 'session') {
      const files = sessionKeyFiles(dir);
      return { ...files, secretKind: 'session key', secret: files.key, keptAfterRotation: files.key, rotate: () => generateSessionKey({ dir, force: true }) };
    }
    const files = purposeFiles(dir, purpose);
    // A rotated-out signing key keeps its public key (it verifies); a rotated-out session key keeps itself (it opens).
    return { ...files, secretKind: 'private key', secret: files.privateKey, keptAfterRotation: files.publicKey, rotate: () => generateKeyPair({ dir, purpose, force: true }) };
  }

  it('accepts the layout keys:generate writes', () => {
    const { keyrings, session } = production();
    expect(keyrings.license.current.kid).not.toBe(keyrings.machine.current.kid);
    expect(session.kids()).toEqual([session.current.kid]);
  });

  describe('purposes are kept apart', () => {
    it('refuses the same key pair under license and machine, naming the copy', () => {
      const licenseKid = currentKid('license');
      const license = purposeFiles(dir, 'license');
      const machine = purposeFiles(dir, 'machine');
      copyFileSync(license.privateKey(licenseKid), machine.privateKey(licenseKid));
      copyFileSync(license.publicKey(licenseKid), machine.publicKey(licenseKid));
      writeFileSync(machine.current, `${licenseKid}\n`);
      const error = refusal(production);
      expect(error.file).toBe(machine.publicKey(licenseKid));
      expect(error.message).toContain(license.publicKey(licenseKid));
    });

    it('refuses a license public key among the machine verification keys', () => {
      const licenseKid = currentKid('license');
      copyFileSync(purposeFiles(dir, 'license').publicKey(licenseKid), purposeFiles(dir, 'machine').publicKey(licenseKid));
      expect(refusal(production).file).toBe(purposeFiles(dir, 'machine').publicKey(licenseKid));
    });

    it('refuses it in development too (nothing there excuses mixing purposes)', () => {
      const licenseKid = currentKid('license');
      copyFileSync(purposeFiles(dir, 'license').publicKey(licenseKid), purposeFiles(dir, 'machine').publicKey(licenseKid));
      expect(() => loadKeyrings({ dir, development: true, signingKids: {} })).toThrow(KeyringError);
    });

    it.each(['license', 'machine'] as const)('refuses a session key that is the seed of the %s private key', (purpose) => {
      const signingKid = currentKid(purpose);
      const sessionKid = currentKid('session');
      const pem = readFileSync(purposeFiles(dir, purpose).privateKey(signingKid), 'utf8');
      const seed = Buffer.from(createPrivateKey(pem).export({ format: 'jwk' }).d as string, 'base64url');
      const session = sessionKeyFiles(dir);
      const copied = sessionKeyId(seed);
      writeFileSync(session.key(copied), `${seed.toString('base64url')}\n`, { mode: 0o600 });
      // Refused as a rotated-out key as well as the current one.
      for (const current of [sessionKid, copied]) {
        writeFileSync(session.current, `${current}\n`);
        const error = refusal(production);
        expect(error.file).toBe(session.key(copied));
        expect(error.message).toContain(purposeFiles(dir, purpose).privateKey(signingKid));
        expect(error.message).toContain('npm run keys:generate -- --purpose session');
      }
    });

    it('refuses the mix at boot (the Nest module loads every purpose together)', async () => {
      const licenseKid = currentKid('license');
      copyFileSync(purposeFiles(dir, 'license').publicKey(licenseKid), purposeFiles(dir, 'machine').publicKey(licenseKid));
      const production = { KEYS_DIR: dir, NODE_ENV: 'production' };
      const compile = () => withConfigEnv(production, () => Test.createTestingModule({ imports: [KeysModule] }).compile());
      await expect(compile()).rejects.toThrow(purposeFiles(dir, 'machine').publicKey(licenseKid));
      // The same folder without the copy boots.
      rmSync(purposeFiles(dir, 'machine').publicKey(licenseKid));
      const moduleRef = await compile();
      expect(moduleRef.get(LICENSE_KEYRING)).toBeDefined();
      await moduleRef.close();
    });
  });

  describe.each(KEY_PURPOSES)('the %s purpose', (purpose) => {
    const files = () => layout(purpose);
    const kid = () => currentKid(purpose);

    it.each(['770', '777', '730', '703'])('refuses a key folder with mode 0%s', (mode) => {
      chmodSync(files().folder, parseInt(mode, 8));
      const error = refusal(production);
      expect(error.file).toBe(files().folder);
      expect(error.message).toContain(`chmod go-w ${files().folder}`);
    });

    it('refuses a world-writable KEYS_DIR', () => {
      chmodSync(dir, 0o777);
      expect(refusal(production).file).toBe(dir);
    });

    it.each(['664', '646', '666'])('refuses a key file with mode 0%s', (mode) => {
      const path = files().keptAfterRotation(kid());
      chmodSync(path, parseInt(mode, 8));
      const error = refusal(production);
      expect(error.file).toBe(path);
      expect(error.message).toContain('writable beyond its owner');
    });

    it('refuses an older (rotated-out) key file that others may write', () => {
      const older = kid();
      files().rotate();
      const path = files().keptAfterRotation(older);
      chmodSync(path, 0o666);
      expect(refusal(production).file).toBe(path);
    });

    it('refuses a current file others may write', () => {
      chmodSync(files().current, 0o646);
      expect(refusal(production).file).toBe(files().current);
    });

    it.each(['604', '644', '660', '620', '602'])('refuses a secret key file with mode 0%s', (mode) => {
      const path = files().secret(kid());
      chmodSync(path, parseInt(mode, 8));
      const error = refusal(production);
      expect(error.file).toBe(path);
      expect(error.message).toContain(`${files().secretKind} ${path} has mode 0${mode}`);
    });

    it('accepts a secret key file its owner alone reads (0400, 0600)', () => {
      const expected = kid();
      for (const mode of [0o400, 0o600]) {
        chmodSync(files().secret(expected), mode);
        expect(currentKid(purpose)).toBe(expected);
      }
    });

    (runningAsRoot ? describe : describe.skip)('owners and groups (needs root to chown)', () => {
      it('accepts a 0440/0640 private key whose group is this process’s group', () => {
        const path = files().secret(kid());
        chownSync(path, strangerUser, processGroup);
        for (const mode of [0o440, 0o640]) {
          chmodSync(path, mode);
          expect(currentKid(purpose)).toBe(kid());
        }
      });

      it('refuses a 0440 private key whose group is not this process’s group', () => {
        const path = files().secret(kid());
        chownSync(path, 0, strangerGroup);
        chmodSync(path, 0o440);
        const error = refusal(production);
        expect(error.file).toBe(path);
        expect(error.message).toContain(`group ${strangerGroup}`);
      });

      it('refuses a sticky world-writable folder that root does not own', () => {
        chownSync(files().folder, strangerUser, processGroup);
        chmodSync(files().folder, 0o1777);
        expect(refusal(production).file).toBe(files().folder);
      });

      it('accepts a Kubernetes Secret mount: root-owned 1777/3777 folder, ..data symlinks, 0440 files of the fsGroup', () => {
        const expectedKid = kid();
        mountAsKubernetesSecret(files().folder, processGroup);
        for (const mode of [0o1777, 0o3777]) {
          chmodSync(files().folder, mode);
          expect(currentKid(purpose)).toBe(expectedKid);
        }
      });

      it('refuses that mount when the private key’s group is not this process’s (no fsGroup)', () => {
        const path = files().secret(kid());
        mountAsKubernetesSecret(files().folder, strangerGroup);
        const error = refusal(production);
        expect(error.file).toBe(path);
        expect(error.message).toContain('(a symlink to');
      });

      it('judges a symlinked key by its target: a target folder others may write is refused', () => {
        const path = files().secret(kid());
        const elsewhere = mkdtempSync(join(tmpdir(), 'key-target-'));
        try {
          const target = join(elsewhere, 'key.pem');
          renameSync(path, target);
          symlinkSync(target, path);
          expect(currentKid(purpose)).toBe(kid());
          chmodSync(elsewhere, 0o777);
          expect(refusal(production).file).toBe(elsewhere);
        } finally {
          rmSync(elsewhere, { recursive: true, force: true });
        }
      });
    });
  });
});

/**
 * Rebuilds a purpose folder the way the kubelet mounts a Secret volume: the folder is root-owned and
 * world-writable with the sticky bit, the files live in a timestamped folder reached through `..data`,
 * and each visible name is a symlink `<name> -> ..data/<name>`, mode 0440, owned by root and the fsGroup.
 */
function mountAsKubernetesSecret(folder: string, fsGroup: number): void {
  const names = readdirSync(folder);
  const timestamped = join(folder, '..2026_11_30_10_00_00.000000001');
  mkdirSync(timestamped, { mode: 0o755 });
  chownSync(timestamped, 0, fsGroup);
  chmodSync(timestamped, 0o2755);
  for (const name of names) {
    renameSync(join(folder, name), join(timestamped, name));
    chownSync(join(timestamped, name), 0, fsGroup);
    chmodSync(join(timestamped, name), 0o440);
  }
  symlinkSync('..2026_11_30_10_00_00.000000001', join(folder, '..data'));
  for (const name of names) {
    symlinkSync(join('..data', name), join(folder, name));
  }
  chownSync(folder, 0, fsGroup);
  chmodSync(folder, 0o1777);
}
