import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { generateKeyPair } from './generate-key-pair';
import { purposeFiles } from './key-files';
import { KeyringError } from './keyring-error';
import { loadKeyring } from './load-keyring';

describe('Ed25519 keyrings from files', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyring-spec-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const production = (purpose: 'license' | 'machine' = 'license') => loadKeyring({ dir, purpose, development: false });

  /** Runs fn, expects a KeyringError, returns it. */
  function refusal(fn: () => unknown): KeyringError {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(KeyringError);
      return error as KeyringError;
    }
    throw new Error('expected a KeyringError');
  }

  it('generates, loads, signs and verifies', () => {
    const generated = generateKeyPair({ dir, purpose: 'license' });
    expect(generated.privatePath).toBe(join(dir, 'license', `${generated.kid}.key.pem`));
    expect(generated.publicPath).toBe(join(dir, 'license', `${generated.kid}.pub.pem`));
    expect(readFileSync(join(dir, 'license', 'current'), 'utf8').trim()).toBe(generated.kid);
    expect(readFileSync(generated.privatePath, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(readFileSync(generated.publicPath, 'utf8')).toMatch(/^-----BEGIN PUBLIC KEY-----/);

    const keyring = production();
    expect(keyring.purpose).toBe('license');
    expect(keyring.current.kid).toBe(generated.kid);
    expect(keyring.current.privateKey.asymmetricKeyType).toBe('ed25519');
    const data = Buffer.from('license payload');
    const signature = sign(null, data, keyring.current.privateKey);
    expect(verify(null, data, keyring.verificationKey(generated.kid)!, signature)).toBe(true);
    expect(verify(null, Buffer.from('tampered'), keyring.verificationKey(generated.kid)!, signature)).toBe(false);
    expect(keyring.verificationKey('unknown')).toBeUndefined();
  });

  it('writes the private key 0600 and the public key 0644', () => {
    const generated = generateKeyPair({ dir, purpose: 'machine' });
    expect(readMode(generated.privatePath)).toBe(0o600);
    expect(readMode(generated.publicPath)).toBe(0o644);
  });

  it('names keys by their RFC 7638 thumbprint', async () => {
    const { kid } = generateKeyPair({ dir, purpose: 'license' });
    const publicKey = createPublicKey(readFileSync(join(dir, 'license', `${kid}.pub.pem`)));
    expect(kid).toBe(await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256'));
  });

  it('publishes public JWKs only', async () => {
    const { kid } = generateKeyPair({ dir, purpose: 'license' });
    const jwks = production().publicJwks();
    const x = (await exportJWK(createPublicKey(readFileSync(join(dir, 'license', `${kid}.pub.pem`))))).x;
    expect(jwks).toEqual([{ kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' }]);
    expect(jwks[0]).not.toHaveProperty('d');
  });

  it('refuses to replace the current key without force', () => {
    generateKeyPair({ dir, purpose: 'license' });
    expect(refusal(() => generateKeyPair({ dir, purpose: 'license' })).message).toContain(join(dir, 'license', 'current'));
  });

  describe('development', () => {
    it('generates missing keys once and keeps the kid across restarts', () => {
      const first = loadKeyring({ dir, purpose: 'license', development: true });
      const second = loadKeyring({ dir, purpose: 'license', development: true });
      expect(second.current.kid).toBe(first.current.kid);
      expect(second.kids()).toEqual([first.current.kid]);
      expect(readMode(join(dir, 'license', `${first.current.kid}.key.pem`))).toBe(0o600);
      // And production accepts what development generated.
      expect(production().current.kid).toBe(first.current.kid);
    });
  });

  describe('production refuses, naming the file', () => {
    it('a missing folder', () => {
      const error = refusal(() => production());
      expect(error.message).toContain(join(dir, 'license'));
      expect(error.message).toContain('npm run keys:generate -- --purpose license');
    });

    it('a missing current file', () => {
      const { kid } = generateKeyPair({ dir, purpose: 'license' });
      unlinkSync(join(dir, 'license', 'current'));
      const error = refusal(() => production());
      expect(error.message).toContain(join(dir, 'license', 'current'));
      expect(error.message).toContain('npm run keys:generate -- --purpose license');
      // An explicit kid replaces the current file.
      expect(loadKeyring({ dir, purpose: 'license', development: false, currentKid: kid }).current.kid).toBe(kid);
    });

    it('a missing private key', () => {
      const { privatePath } = generateKeyPair({ dir, purpose: 'license' });
      unlinkSync(privatePath);
      const error = refusal(() => production());
      expect(error.file).toBe(privatePath);
      expect(error.message).toContain(privatePath);
      expect(error.message).toContain('missing');
    });

    it('a current kid that is not a thumbprint (no path tricks)', () => {
      generateKeyPair({ dir, purpose: 'license' });
      writeFileSync(join(dir, 'license', 'current'), '../machine/x\n');
      expect(refusal(() => production()).message).toContain(join(dir, 'license', 'current'));
    });

    it('a 0644 private key', () => {
      const { privatePath } = generateKeyPair({ dir, purpose: 'license' });
      chmodSync(privatePath, 0o644);
      const error = refusal(() => production());
      expect(error.message).toContain(privatePath);
      expect(error.message).toContain(`chmod 600 ${privatePath}`);
    });

    it('a symlink to a 0644 private key (the target mode counts)', () => {
      const { privatePath } = generateKeyPair({ dir, purpose: 'license' });
      const target = join(dir, 'elsewhere.pem');
      copyFileSync(privatePath, target);
      chmodSync(target, 0o644);
      unlinkSync(privatePath);
      symlinkSync(target, privatePath);
      const error = refusal(() => production());
      expect(error.message).toContain(privatePath);
      expect(error.message).toContain(`chmod 600 ${target}`);
      // A symlink to a 0600 file is fine.
      chmodSync(target, 0o600);
      expect(production().current.kid).toBeDefined();
    });

    it('an RSA key instead of Ed25519', () => {
      const { privatePath } = generateKeyPair({ dir, purpose: 'license' });
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      writeFileSync(privatePath, rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      const error = refusal(() => production());
      expect(error.message).toContain(privatePath);
      expect(error.message).toMatch(/rsa key, not Ed25519/);
    });

    it('a public key that does not match the private key', () => {
      const first = generateKeyPair({ dir, purpose: 'license' });
      const other = generateKeyPair({ dir: join(dir, 'other'), purpose: 'license' });
      copyFileSync(other.publicPath, first.publicPath);
      const error = refusal(() => production());
      expect(error.message).toContain(first.publicPath);
      expect(error.message).toContain('does not match');
    });

    it('a private key whose file name is not its thumbprint', () => {
      const first = generateKeyPair({ dir, purpose: 'license' });
      const other = generateKeyPair({ dir: join(dir, 'other'), purpose: 'license' });
      copyFileSync(other.privatePath, first.privatePath);
      expect(refusal(() => production()).message).toContain(first.privatePath);
    });

    it('a verification key that is not Ed25519', () => {
      generateKeyPair({ dir, purpose: 'license' });
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const path = join(dir, 'license', `${'A'.repeat(43)}.pub.pem`);
      writeFileSync(path, rsa.publicKey.export({ type: 'spki', format: 'pem' }));
      expect(refusal(() => production()).message).toContain(path);
    });
  });

  it('rotates: force makes a new key current, the old one still verifies', () => {
    const old = generateKeyPair({ dir, purpose: 'license' });
    const oldSignature = sign(null, Buffer.from('issued before rotation'), production().current.privateKey);
    const rotated = generateKeyPair({ dir, purpose: 'license', force: true });
    expect(rotated.kid).not.toBe(old.kid);

    const keyring = production();
    expect(keyring.current.kid).toBe(rotated.kid);
    expect(keyring.kids()).toEqual([rotated.kid, old.kid]);
    expect(verify(null, Buffer.from('issued before rotation'), keyring.verificationKey(old.kid)!, oldSignature)).toBe(true);
    expect(keyring.publicJwks().map((jwk) => jwk.kid)).toEqual([rotated.kid, old.kid]);
    // The override can pin the previous key as signer (roll back).
    expect(loadKeyring({ dir, purpose: 'license', development: false, currentKid: old.kid }).current.kid).toBe(old.kid);
  });

  it('keeps purposes apart', () => {
    const license = generateKeyPair({ dir, purpose: 'license' });
    const machine = generateKeyPair({ dir, purpose: 'machine' });
    const licenseKeyring = production('license');
    const machineKeyring = production('machine');
    expect(licenseKeyring.kids()).toEqual([license.kid]);
    expect(machineKeyring.kids()).toEqual([machine.kid]);
    expect(licenseKeyring.verificationKey(machine.kid)).toBeUndefined();
    expect(licenseKeyring.publicJwks().map((jwk) => jwk.kid)).not.toContain(machine.kid);
    expect(purposeFiles(dir, 'machine').folder).not.toBe(purposeFiles(dir, 'license').folder);
  });
});

function readMode(path: string): number {
  return statSync(path).mode & 0o777;
}
