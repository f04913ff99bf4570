import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader, JSONWebKeySet } from 'jose';
import request from 'supertest';
import { LicenseVerifier } from '@app/licensing';
import { generateKeyPair } from '@app/security';
import { DevIdp, startDevIdp } from '../support/dev-idp';
import { itWithTool } from '../support/requires-tool';
import { insertTenantRow } from '../support/tenant-rows';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestKeysDir } from '../support/test-keys';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const OPTIONS = { issuer: 'https://cameleer.local', audience: 'cameleer3-server' };

/** Runs `npm run license:verify` (the script itself, as npm would) and returns its exit code and output. */
async function licenseVerify(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, ['-r', './scripts/register-ts.js', 'scripts/license-verify.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '' };
  }
}

/** Key rotation end to end, the CLI verifier, and the JDK snippet of docs/license-format.md against real tokens. */
describe('license keys: rotation and independent verifiers', () => {
  let idp: DevIdp;
  let keysDir: string;
  let work: string;
  let operator: string;
  let oldToken: string;
  let newToken: string;
  let oldJwks: JSONWebKeySet;
  let newJwks: JSONWebKeySet;
  let newApp: TestApp | undefined;

  async function issueOn(testApp: TestApp): Promise<string> {
    const tenant = await insertTenantRow(testApp.database.url);
    const response = await request(testApp.server).post(`/api/tenants/${tenant.id}/license`).set('authorization', `Bearer ${operator}`).send({ tier: 'pro' }).expect(201);
    return response.body.token as string;
  }

  beforeAll(async () => {
    idp = await startDevIdp();
    operator = await idp.mintUserToken({ sub: 'op', scopes: ['platform:read', 'platform:write'] });
    keysDir = createTestKeysDir();
    work = mkdtempSync(join(tmpdir(), 'license-rotation-'));
    const env = { LOGTO_ENDPOINT: idp.endpoint, LOGTO_API_RESOURCE: idp.apiResource, KEYS_DIR: keysDir };

    const oldApp = await startTestApp(env);
    try {
      oldToken = await issueOn(oldApp);
      oldJwks = (await request(oldApp.server).get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;
    } finally {
      await oldApp.close();
    }
    // Rotate: a new license key becomes current; the old public key stays in the folder.
    generateKeyPair({ dir: keysDir, purpose: 'license', force: true });
    newApp = await startTestApp(env);
    newToken = await issueOn(newApp);
    newJwks = (await request(newApp.server).get('/.well-known/jwks.json').expect(200)).body as JSONWebKeySet;
  });

  afterAll(async () => {
    await newApp?.close();
    await idp?.stop();
    rmSync(keysDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('signs new tokens with the new kid and publishes both keys, the current one first', () => {
    const oldKid = decodeProtectedHeader(oldToken).kid;
    const newKid = decodeProtectedHeader(newToken).kid;
    expect(newKid).not.toBe(oldKid);
    expect(oldJwks.keys.map((key) => key.kid)).toEqual([oldKid]);
    expect(newJwks.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
  });

  it('keeps old tokens verifying through the published set; a verifier with the old set only must refetch', async () => {
    const url = new URL('/.well-known/jwks.json', await newApp!.app.getUrl());
    const published = LicenseVerifier.fromJwksUrl(url, OPTIONS);
    await expect(published.verify(oldToken)).resolves.toMatchObject({ status: 'ACTIVE' });
    await expect(published.verify(newToken)).resolves.toMatchObject({ status: 'ACTIVE' });
    const stale = LicenseVerifier.fromJwks(oldJwks, OPTIONS);
    await expect(stale.verify(oldToken)).resolves.toBeDefined();
    await expect(stale.verify(newToken)).rejects.toMatchObject({ reason: 'unknown_key' });
  });

  it('npm run license:verify: valid tokens exit 0 with claims and status, bad ones exit 1', async () => {
    const { stderr } = await run(process.execPath, ['-r', './scripts/register-ts.js', 'scripts/keys-jwks.ts', '--dir', keysDir, '--out', join(work, 'jwks.json')], { cwd: ROOT });
    expect(stderr).toMatch(/wrote 2 license verification key/);
    const jwksFile = join(work, 'jwks.json');

    const ok = await licenseVerify(oldToken, '--jwks', jwksFile);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/status: +ACTIVE/);
    expect(ok.stdout).toMatch(/tier pro/);

    writeFileSync(join(work, 'token.txt'), `${newToken}\n`);
    const fromFile = await licenseVerify(join(work, 'token.txt'), '--jwks', jwksFile, '--json');
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ valid: true, status: 'ACTIVE', claims: { tier: 'pro', aud: 'cameleer3-server' } });

    const overHttp = await licenseVerify(newToken, '--jwks', new URL('/.well-known/jwks.json', await newApp!.app.getUrl()).toString());
    expect(overHttp.code).toBe(0);

    const [header, payload, signature = ''] = newToken.split('.');
    const flipped = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const tampered = await licenseVerify(flipped, '--jwks', jwksFile);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toMatch(/INVALID: .*bad_signature/);

    const wrongAudience = await licenseVerify(newToken, '--jwks', jwksFile, '--audience', 'someone-else');
    expect(wrongAudience.code).toBe(1);
    expect(wrongAudience.stdout).toMatch(/wrong_audience/);
    expect((await licenseVerify(newToken)).code).toBe(2);
  });

  itWithTool('java', ['-version'], 'the JDK verification snippet of docs/license-format.md', (text) => /version "(1[5-9]|[2-9]\d)/.test(text))('verifies with the JDK alone: the snippet of docs/license-format.md', async () => {
    const doc = readFileSync(join(ROOT, 'docs/license-format.md'), 'utf8');
    const snippet = /```java\n([\s\S]*?)```/.exec(doc)?.[1];
    expect(snippet).toBeDefined();
    const source = join(work, 'LicenseCheck.java');
    writeFileSync(source, snippet ?? '');
    const java = async (token: string, jwk: { x?: string; kid?: string }) => {
      try {
        return { code: 0, stdout: (await run('java', [source, token, jwk.x ?? '', jwk.kid ?? '', OPTIONS.issuer, OPTIONS.audience], { encoding: 'utf8' })).stdout };
      } catch (error) {
        return { code: (error as { code?: number }).code ?? -1, stdout: (error as { stdout?: string }).stdout ?? '' };
      }
    };
    const [current, previous] = newJwks.keys;
    expect((await java(newToken, current ?? {})).stdout).toMatch(/^OK ACTIVE tenant=[0-9a-f-]{36} license=[0-9a-f-]{36} tier=pro/);
    expect((await java(oldToken, previous ?? {})).stdout).toMatch(/^OK ACTIVE/);
    const [header, payload, signature = ''] = newToken.split('.');
    // A flipped bit in R (which may not decode as a point: the JDK then throws) and one in S.
    for (const index of [0, 40]) {
      const bytes = Buffer.from(signature, 'base64url');
      bytes[index] = (bytes[index] ?? 0) ^ 0x01;
      const tampered = await java(`${header}.${payload}.${bytes.toString('base64url')}`, current ?? {});
      expect(tampered).toMatchObject({ code: 1 });
      expect(tampered.stdout).toMatch(/INVALID bad signature/);
    }
    expect((await java(newToken, previous ?? {})).stdout).toMatch(/INVALID unknown kid/);
  }, 120_000);
});
