import { rmSync } from 'node:fs';
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import request from 'supertest';
import { Keyring, KeysModule, LICENSE_KEYRING, MACHINE_KEYRING } from '@app/security';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestKeysDir } from '../support/test-keys';

describe('GET /.well-known/jwks.json', () => {
  let testApp: TestApp;
  let keysDir: string;
  let licenseKeyring: Keyring;
  let machineKeyring: Keyring;

  beforeAll(async () => {
    keysDir = createTestKeysDir();
    testApp = await startTestApp({ KEYS_DIR: keysDir }, [KeysModule]);
    licenseKeyring = testApp.app.get<Keyring>(LICENSE_KEYRING);
    machineKeyring = testApp.app.get<Keyring>(MACHINE_KEYRING);
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
