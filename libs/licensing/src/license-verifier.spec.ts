import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { rmSync } from 'node:fs';
import { SignJWT, UnsecuredJWT } from 'jose';
import { Keyring, loadKeyring } from '@app/security';
import { createTestKeysDir } from '../../../test/support/test-keys';
import { LicenseClaims, licenseClaims, signLicenseClaims } from './license-token';
import { LicenseVerificationError, LicenseVerifier } from './license-verifier';

const DAY = 86_400;
const ISSUER = 'https://licenses.example.com';
const AUDIENCE = 'cameleer3-server';

describe('LicenseVerifier', () => {
  let dir: string;
  let license: Keyring;
  let machine: Keyring;
  let verifier: LicenseVerifier;
  const now = new Date('2027-03-01T12:00:00Z');
  const epoch = Math.floor(now.getTime() / 1000);

  const claimsAt = (at: Date, overrides: { endsAt?: Date; graceDays?: number; ttl?: number } = {}): LicenseClaims =>
    licenseClaims(
      {
        licenseId: 'lic-1',
        tenantId: 'tenant-1',
        tenantSlug: 'acme',
        tier: 'pro',
        features: ['tracing'],
        limits: { maxAgents: 5, maxEnvironments: 2, retentionDays: 30, maxUsers: 10 },
        endsAt: overrides.endsAt ?? new Date(now.getTime() + 100 * DAY * 1000),
        graceDays: overrides.graceDays ?? 14,
      },
      { issuer: ISSUER, audience: AUDIENCE, ttlSeconds: overrides.ttl ?? 30 * DAY },
      at,
    );

  /** Signs arbitrary claims/header with a key (the license key by default). */
  const forge = (claims: Record<string, unknown>, header: Record<string, unknown> = {}, key: KeyObject = license.current.privateKey): Promise<string> =>
    new SignJWT(claims).setProtectedHeader({ alg: 'EdDSA', typ: 'license+jwt', kid: license.current.kid, ...header }).sign(key);

  async function rejection(token: string, at: Date = now): Promise<LicenseVerificationError> {
    try {
      await verifier.verify(token, at);
    } catch (error) {
      expect(error).toBeInstanceOf(LicenseVerificationError);
      return error as LicenseVerificationError;
    }
    throw new Error('expected the token to be rejected');
  }

  beforeAll(() => {
    dir = createTestKeysDir();
    license = loadKeyring({ dir, purpose: 'license', development: false });
    machine = loadKeyring({ dir, purpose: 'machine', development: false });
    verifier = LicenseVerifier.fromJwks({ keys: license.publicJwks() }, { issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 30 });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('verifies a token and reports ACTIVE', async () => {
    const token = await signLicenseClaims(claimsAt(now), license.current);
    const result = await verifier.verify(token, now);
    expect(result.status).toBe('ACTIVE');
    expect(result.header).toEqual({ alg: 'EdDSA', typ: 'license+jwt', kid: license.current.kid });
    expect(result.claims).toMatchObject({ sub: 'tenant-1', jti: 'lic-1', tier: 'pro', iat: epoch, nbf: epoch, exp: epoch + 30 * DAY });
  });

  it('computes EXPIRING, IN_GRACE and EXPIRED from lic_exp and grace_days', async () => {
    const endsAt = new Date(now.getTime() + 10 * DAY * 1000);
    const claims = claimsAt(now, { endsAt, graceDays: 14, ttl: 60 * DAY });
    expect(claims.exp).toBe(claims.lic_exp + 14 * DAY); // capped at the end of grace
    const token = await signLicenseClaims(claims, license.current);
    expect((await verifier.verify(token, now)).status).toBe('EXPIRING');
    expect((await verifier.verify(token, new Date(endsAt.getTime() + DAY * 1000))).status).toBe('IN_GRACE');
    // Past grace the token's exp has passed too: stale, with its claims for a caller that degrades.
    const stale = await rejection(token, new Date(endsAt.getTime() + 15 * DAY * 1000));
    expect(stale.reason).toBe('token_expired');
    expect(stale.claims?.jti).toBe('lic-1');
  });

  it('verifies from a PEM public key and from a JWKS with keys it ignores', async () => {
    const token = await signLicenseClaims(claimsAt(now), license.current);
    const pem = license.current.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    await expect(LicenseVerifier.fromPem(pem, { issuer: ISSUER, audience: AUDIENCE }).verify(token, now)).resolves.toMatchObject({ status: 'ACTIVE' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    const mixed = LicenseVerifier.fromJwks({ keys: [{ ...rsa, kty: 'RSA', kid: 'rsa' }, ...license.publicJwks()] }, { issuer: ISSUER, audience: AUDIENCE });
    await expect(mixed.verify(token, now)).resolves.toMatchObject({ status: 'ACTIVE' });
  });

  it.each([
    ['wrong typ', { header: { typ: 'JWT' } }, 'wrong_type'],
    ['no typ', { header: { typ: undefined } }, 'wrong_type'],
    ['wrong issuer', { claims: { iss: 'https://evil.example.com' } }, 'wrong_issuer'],
    ['wrong audience', { claims: { aud: 'someone-else' } }, 'wrong_audience'],
    ['an audience array', { claims: { aud: [AUDIENCE, 'other'] } }, 'wrong_audience'],
    ['unknown kid', { header: { kid: 'x'.repeat(43) } }, 'unknown_key'],
    ['no kid', { header: { kid: undefined } }, 'unknown_key'],
    ['missing lic_exp', { drop: 'lic_exp' }, 'missing_claim'],
    ['missing nbf', { drop: 'nbf' }, 'missing_claim'],
    ['missing tenant_slug', { drop: 'tenant_slug' }, 'missing_claim'],
    ['features not a list', { claims: { features: 'tracing' } }, 'malformed'],
    ['a negative limit', { claims: { limits: { maxAgents: -1, maxEnvironments: 1, retentionDays: 1, maxUsers: 1 } } }, 'malformed'],
    ['nbf in the future', { claims: { nbf: epoch + 3600 } }, 'not_yet_valid'],
    ['iat in the future (clock set back)', { claims: { iat: epoch + 3600 } }, 'issued_in_future'],
    ['an expired token', { claims: { exp: epoch - 3600 } }, 'token_expired'],
  ] as const)('rejects %s', async (_name, change, reason) => {
    const base: Record<string, unknown> = { ...claimsAt(now) };
    const claims: Record<string, unknown> = { ...base, ...('claims' in change ? change.claims : {}) };
    if ('drop' in change) {
      delete claims[change.drop];
    }
    const token = await forge(claims, 'header' in change ? change.header : {});
    expect((await rejection(token)).reason).toBe(reason);
  });

  it('rejects a correctly signed token with an unknown crit header', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'license+jwt', kid: license.current.kid, crit: ['x-cameleer'], 'x-cameleer': 1 })).toString('base64url');
    const payload = Buffer.from(JSON.stringify(claimsAt(now))).toString('base64url');
    const signature = sign(null, Buffer.from(`${header}.${payload}`), license.current.privateKey).toString('base64url');
    expect((await rejection(`${header}.${payload}.${signature}`)).reason).toBe('malformed');
  });

  it('tolerates 30 s of skew and not more', async () => {
    const token = await signLicenseClaims(claimsAt(new Date(now.getTime() + 20_000)), license.current);
    await expect(verifier.verify(token, now)).resolves.toBeDefined();
    const later = await signLicenseClaims(claimsAt(new Date(now.getTime() + 45_000)), license.current);
    expect((await rejection(later)).reason).toBe('not_yet_valid');
  });

  it('refuses alg none, another algorithm, a machine-key signature and a foreign key with our kid', async () => {
    const claims = claimsAt(now) as unknown as Record<string, unknown>;
    const unsecured = new UnsecuredJWT(claims).encode();
    expect((await rejection(unsecured)).reason).toBe('bad_signature');
    const es256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    expect((await rejection(await forge(claims, { alg: 'ES256' }, es256))).reason).toBe('bad_signature');
    expect((await rejection(await forge(claims, { kid: machine.current.kid }, machine.current.privateKey))).reason).toBe('unknown_key');
    const foreign = generateKeyPairSync('ed25519').privateKey;
    expect((await rejection(await forge(claims, {}, foreign))).reason).toBe('bad_signature');
  });

  it('refuses garbage and oversized input without parsing it', async () => {
    for (const garbage of ['', 'a.b', 'a.b.c.d', 'x'.repeat(20_000), 'eyJ.eyJ.sig']) {
      expect((await rejection(garbage)).reason).toBe('malformed');
    }
  });

  it('refuses a clock tolerance over 60 s and a key set without Ed25519 keys', () => {
    expect(() => LicenseVerifier.fromJwks({ keys: license.publicJwks() }, { issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 61 })).toThrow(RangeError);
    expect(() => LicenseVerifier.fromJwks({ keys: [] }, { issuer: ISSUER, audience: AUDIENCE })).toThrow(/no Ed25519/);
    const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(() => LicenseVerifier.fromPem(rsaPem, { issuer: ISSUER, audience: AUDIENCE })).toThrow(/Ed25519/);
  });
});
