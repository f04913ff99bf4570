import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { withConfigEnv } from '@app/service-core';
import { generateKeyPair } from './generate-key-pair';
import { sessionKeyFiles } from './key-files';
import { SIGNING_KEY_PURPOSES } from './key-purpose';
import { KeyringError } from './keyring-error';
import { KeysModule } from './keys.module';
import { generateSessionKey, loadSessionKeyring, sessionKeyId, SessionKeyring } from './session-keys';
import { SealedValueRejected, SessionSealer } from './session-sealer';

describe('session keys and the SessionSealer', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'session-keys-spec-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const production = () => loadSessionKeyring({ dir, development: false });
  const sealer = (keys: SessionKeyring = production()) => new SessionSealer(keys);

  function refusal(fn: () => unknown): KeyringError {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(KeyringError);
      return error as KeyringError;
    }
    throw new Error('expected a KeyringError');
  }

  function rejection(fn: () => unknown): SealedValueRejected {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(SealedValueRejected);
      return error as SealedValueRejected;
    }
    throw new Error('expected a SealedValueRejected');
  }

  describe('key files', () => {
    it('writes 32 random bytes as one base64url line, mode 0600, named by the labelled SHA-256 of the key', () => {
      const { kid, path } = generateSessionKey({ dir });
      expect(path).toBe(join(dir, 'session', `${kid}.key`));
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const text = readFileSync(path, 'utf8');
      expect(text).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
      const key = Buffer.from(text.trim(), 'base64url');
      expect(key).toHaveLength(32);
      // The documented rule (keys/README.md), computed independently.
      const expected = createHash('sha256').update(Buffer.concat([Buffer.from('cameleer session key id v1\0'), key])).digest('base64url');
      expect(kid).toBe(expected);
      expect(kid).not.toBe(key.toString('base64url'));
      expect(readFileSync(join(dir, 'session', 'current'), 'utf8')).toBe(`${kid}\n`);
      expect(production().current.kid).toBe(kid);
    });

    it('refuses to replace the current key without force; force rotates and keeps the old key', () => {
      const first = generateSessionKey({ dir });
      expect(refusal(() => generateSessionKey({ dir })).message).toContain('--force');
      const second = generateSessionKey({ dir, force: true });
      expect(production().kids()).toEqual([second.kid, first.kid]);
    });

    it('development generates a missing key once and reuses it; production accepts it', () => {
      const first = loadSessionKeyring({ dir, development: true });
      const second = loadSessionKeyring({ dir, development: true });
      expect(second.current.kid).toBe(first.current.kid);
      expect(new Set(readdirSync(join(dir, 'session')))).toEqual(new Set([`${first.current.kid}.key`, 'current']));
      expect(production().current.kid).toBe(first.current.kid);
    });

    describe('production refuses, naming the file and the fix', () => {
      it('a missing folder', () => {
        const error = refusal(production);
        expect(error.file).toBe(join(dir, 'session'));
        expect(error.message).toContain(`npm run keys:generate -- --purpose session --dir ${dir}`);
      });

      it('a missing current file', () => {
        generateSessionKey({ dir });
        unlinkSync(sessionKeyFiles(dir).current);
        expect(refusal(production).message).toContain('npm run keys:generate -- --purpose session');
      });

      it('a current file naming something that is not a key id (no path tricks)', () => {
        generateSessionKey({ dir });
        writeFileSync(sessionKeyFiles(dir).current, '../license/current\n');
        expect(refusal(production).file).toBe(sessionKeyFiles(dir).current);
      });

      it('a missing current key', () => {
        const { path } = generateSessionKey({ dir });
        unlinkSync(path);
        const error = refusal(production);
        expect(error.file).toBe(path);
        expect(error.message).toContain('missing');
      });

      it.each([
        ['too short', randomBytes(16).toString('base64url')],
        ['too long', randomBytes(48).toString('base64url')],
        ['padded', `${randomBytes(32).toString('base64')}`],
        ['hex', randomBytes(32).toString('hex')],
        ['a PEM', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----'],
        ['non-canonical base64url (stray low bits in the last character)', `${randomBytes(32).toString('base64url').slice(0, 42)}B`],
        ['two lines', `${randomBytes(32).toString('base64url')}\n${randomBytes(32).toString('base64url')}`],
      ])('a key file that is %s', (_what, content) => {
        const { path } = generateSessionKey({ dir });
        writeFileSync(path, `${content}\n`);
        const error = refusal(production);
        expect(error.file).toBe(path);
        expect(error.message).toContain('is not a session key');
        expect(error.message).not.toContain(content.trim());
      });

      it('a key whose file name is not its id', () => {
        const { path } = generateSessionKey({ dir });
        writeFileSync(path, `${randomBytes(32).toString('base64url')}\n`);
        const error = refusal(production);
        expect(error.file).toBe(path);
        expect(error.message).toContain('has the key id');
      });

      it('an older key file with a name that is not a key id', () => {
        generateSessionKey({ dir });
        const stray = join(dir, 'session', 'old.key');
        writeFileSync(stray, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
        expect(refusal(production).file).toBe(stray);
      });

      it('a key readable by others (the access rule of private keys)', () => {
        const { path } = generateSessionKey({ dir });
        chmodSync(path, 0o644);
        const error = refusal(production);
        expect(error.file).toBe(path);
        expect(error.message).toContain(`chmod 600 ${path}`);
      });
    });
  });

  describe('sealing', () => {
    it('round-trips text under the same context, with a fresh IV each time', () => {
      generateSessionKey({ dir });
      const seal = sealer();
      const secret = 'refresh-token-é-✓';
      const a = seal.seal(secret, 'row-1');
      const b = seal.seal(secret, 'row-1');
      expect(a).not.toBe(b);
      expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{43}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]{22}$/);
      expect(a).not.toContain(Buffer.from(secret).toString('base64url'));
      expect(seal.open(a, 'row-1')).toBe(secret);
      expect(seal.open(b, 'row-1')).toBe(secret);
      expect(seal.open(seal.seal('', 'row-1'), 'row-1')).toBe('');
    });

    it('does not open under another context (a value moved to another row)', () => {
      generateSessionKey({ dir });
      const sealed = sealer().seal('secret', 'row-1');
      expect(rejection(() => sealer().open(sealed, 'row-2')).reason).toBe('tampered');
      expect(rejection(() => sealer().open(sealed, '')).reason).toBe('tampered');
    });

    it('refuses any altered part', () => {
      generateSessionKey({ dir });
      const sealed = sealer().seal('a refresh token of some length', 'row-1');
      const parts = sealed.split('.');
      for (const index of [2, 3, 4]) {
        const bytes = Buffer.from(parts[index]!, 'base64url');
        bytes.writeUInt8(bytes.readUInt8(0) ^ 1, 0);
        const altered = [...parts];
        altered[index] = bytes.toString('base64url');
        expect(rejection(() => sealer().open(altered.join('.'), 'row-1')).reason).toBe('tampered');
      }
      // Truncated ciphertext, same tag.
      const truncated = [...parts];
      truncated[3] = Buffer.from(parts[3]!, 'base64url').subarray(1).toString('base64url');
      expect(rejection(() => sealer().open(truncated.join('.'), 'row-1')).reason).toBe('tampered');
    });

    it.each([
      ['empty', ''],
      ['another version', (s: string) => s.replace(/^v1\./, 'v2.')],
      ['a missing part', (s: string) => s.split('.').slice(0, 4).join('.')],
      ['an extra part', (s: string) => `${s}.AA`],
      ['a kid that is not one', (s: string) => s.replace(/^v1\.[^.]+\./, 'v1.../../x.')],
      ['standard base64 in a part', (s: string) => { const p = s.split('.'); p[2] = `+/${p[2]!.slice(2)}`; return p.join('.'); }],
      ['padding', (s: string) => `${s}==`],
      ['a short IV', (s: string) => { const p = s.split('.'); p[2] = 'AAAA'; return p.join('.'); }],
      ['a short tag', (s: string) => { const p = s.split('.'); p[4] = 'AAAA'; return p.join('.'); }],
      ['a non-canonical tag', (s: string) => { const p = s.split('.'); p[4] = `${p[4]!.slice(0, 21)}${p[4]!.at(-1) === 'A' ? 'B' : 'A'}`; return p.join('.'); }],
      ['whitespace', (s: string) => ` ${s}`],
    ])('refuses a malformed value: %s', (_what, spoil) => {
      generateSessionKey({ dir });
      const sealed = sealer().seal('secret', 'row-1');
      const spoiled = typeof spoil === 'string' ? spoil : spoil(sealed);
      const error = rejection(() => sealer().open(spoiled, 'row-1'));
      expect(['malformed', 'tampered']).toContain(error.reason);
      expect(error.message).not.toContain(spoiled || 'x'.repeat(10));
    });

    it('opens values sealed before a rotation, seals with the new key; a removed key no longer opens', () => {
      const old = generateSessionKey({ dir });
      const before = sealer().seal('old session', 'row-1');
      const rotated = generateSessionKey({ dir, force: true });
      const after = sealer().seal('new session', 'row-2');
      expect(after.split('.')[1]).toBe(rotated.kid);
      expect(before.split('.')[1]).toBe(old.kid);
      expect(sealer().open(before, 'row-1')).toBe('old session');
      expect(sealer().open(after, 'row-2')).toBe('new session');
      unlinkSync(old.path);
      expect(rejection(() => sealer().open(before, 'row-1')).reason).toBe('unknown-key');
      expect(sealer().open(after, 'row-2')).toBe('new session');
    });

    it('does not open a value sealed with another installation’s key of the same kid-format', () => {
      generateSessionKey({ dir });
      const other = mkdtempSync(join(tmpdir(), 'session-keys-other-'));
      try {
        generateSessionKey({ dir: other });
        const foreign = new SessionSealer(loadSessionKeyring({ dir: other, development: false })).seal('x', 'row-1');
        expect(rejection(() => sealer().open(foreign, 'row-1')).reason).toBe('unknown-key');
      } finally {
        rmSync(other, { recursive: true, force: true });
      }
    });

    it('is provided by KeysModule, which refuses to boot in production without a session key', async () => {
      for (const purpose of SIGNING_KEY_PURPOSES) {
        generateKeyPair({ dir, purpose });
      }
      const compile = () => withConfigEnv({ KEYS_DIR: dir, NODE_ENV: 'production' }, () => Test.createTestingModule({ imports: [KeysModule] }).compile());
      await expect(compile()).rejects.toThrow(`key folder ${join(dir, 'session')} is missing; run \`npm run keys:generate -- --purpose session --dir ${dir}\``);
      const { kid } = generateSessionKey({ dir });
      const moduleRef = await compile();
      try {
        const seal = moduleRef.get(SessionSealer);
        expect(seal.seal('x', 'c').split('.')[1]).toBe(kid);
        expect(seal.open(seal.seal('x', 'c'), 'c')).toBe('x');
      } finally {
        await moduleRef.close();
      }
    });
  });

  it('derives the key id from the key alone (stable across replicas and restarts)', () => {
    const key = randomBytes(32);
    expect(sessionKeyId(key)).toBe(sessionKeyId(Buffer.from(key)));
    expect(sessionKeyId(key)).not.toBe(sessionKeyId(randomBytes(32)));
  });
});
