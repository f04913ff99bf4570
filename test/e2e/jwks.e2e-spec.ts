import { rmSync } from 'node:fs';
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import request from 'supertest';
import { generateKeyPair, Keyring, KeysModule, LICENSE_KEYRING, MACHINE_KEYRING, PLATFORM_KEYRING } from '@app/security';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestKeysDir } from '../support/test-keys';

describe('GET /.well-known/jwks.json and /.well-known/platform-jwks.json', () => {
  let testApp: TestApp;
  let keysDir: string;
  let licenseKeyring: Keyring;
  let machineKeyring: Keyring;
  let platformKeyring: Keyring;

  beforeAll(async () => {
    keysDir = createTestKeysDir();
    testApp = await startTestApp({ KEYS_DIR: keysDir }, [KeysModule]);
    licenseKeyring = testApp.app.get<Keyring>(LICENSE_KEYRING);
    machineKeyring = testApp.app.get<Keyring>(MACHINE_KEYRING);
    platformKeyring = testApp.app.get<Keyring>(PLATFORM_KEYRING);
  });
  afterAll(async () => {
    await testApp?.close();
    rmSync(keysDir, { recursive: true, force: true });
  });

  it('publishes the license verification keys only, without private members', async () => {
    const response = await request(testApp.server).get('/.well-known/jwks.json').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    const keys = response.body.keys as Record<string, unknown>[];
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), kid: licenseKeyring.current.kid, use: 'sig', alg: 'EdDSA' });
    expect(keys[0]).not.toHaveProperty('d');
    expect(keys.map((key) => key.kid)).not.toContain(machineKeyring.current.kid);
    expect(keys.map((key) => key.kid)).not.toContain(platformKeyring.current.kid);
  });

  it('publishes the platform verification keys on their own URL, never the license or machine keys', async () => {
    const response = await request(testApp.server).get('/.well-known/platform-jwks.json').expect(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    expect(response.body).toEqual({
      keys: [{ kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), kid: platformKeyring.current.kid, use: 'sig', alg: 'EdDSA' }],
    });
    await request(testApp.server).get('/api/.well-known/platform-jwks.json').expect(404);

    // A license signature does not verify against the platform set, nor a platform signature against the license set.
    const base = await testApp.app.getUrl();
    const platformJwks = createRemoteJWKSet(new URL('/.well-known/platform-jwks.json', base));
    const licenseJwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', base));
    const signWith = (keyring: Keyring) =>
      new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: keyring.current.kid }).setExpirationTime('5m').sign(keyring.current.privateKey);
    await expect(jwtVerify(await signWith(platformKeyring), platformJwks, { algorithms: ['EdDSA'] })).resolves.toBeDefined();
    await expect(jwtVerify(await signWith(licenseKeyring), platformJwks, { algorithms: ['EdDSA'] })).rejects.toThrow();
    await expect(jwtVerify(await signWith(platformKeyring), licenseJwks, { algorithms: ['EdDSA'] })).rejects.toThrow();
  });

  it('publishes old and new platform keys side by side after a rotation (the service restarted)', async () => {
    const dir = createTestKeysDir();
    const before = await startTestApp({ KEYS_DIR: dir }, [KeysModule]);
    const oldKid = before.app.get<Keyring>(PLATFORM_KEYRING).current.kid;
    await before.close();
    const rotated = generateKeyPair({ dir, purpose: 'platform', force: true });
    const after = await startTestApp({ KEYS_DIR: dir }, [KeysModule]);
    try {
      const response = await request(after.server).get('/.well-known/platform-jwks.json').expect(200);
      expect((response.body.keys as { kid: string }[]).map((key) => key.kid)).toEqual([rotated.kid, oldKid]);
    } finally {
      await after.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is public and not under /api', async () => {
    await request(testApp.server).get('/api/.well-known/jwks.json').expect(404);
  });

  it('verifies a token signed with the license key against the JWKS fetched over HTTP', async () => {
    const jwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', await testApp.app.getUrl()));
    const token = await new SignJWT({ tier: 'team' })
      .setProtectedHeader({ alg: 'EdDSA', kid: licenseKeyring.current.kid, typ: 'license+jwt' })
      .setIssuer('cameleer-saas')
      .setSubject('tenant-1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(licenseKeyring.current.privateKey);
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { algorithms: ['EdDSA'], issuer: 'cameleer-saas', typ: 'license+jwt' });
    expect(payload.sub).toBe('tenant-1');
    expect(protectedHeader.kid).toBe(licenseKeyring.current.kid);

    // A machine-key signature does not verify against the license JWKS.
    const machineToken = await new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid: machineKeyring.current.kid })
      .setExpirationTime('5m')
      .sign(machineKeyring.current.privateKey);
    await expect(jwtVerify(machineToken, jwks, { algorithms: ['EdDSA'] })).rejects.toThrow();
  });
});
