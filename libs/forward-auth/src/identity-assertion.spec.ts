import { generateKeyPairSync } from 'node:crypto';
import { decodeJwt, jwtVerify } from 'jose';
import { Keyring, Principal } from '@app/security';
import type { IdentityHeaders } from './decision';
import { AssertionRequest, IdentityAssertionSigner } from './identity-assertion';

const keys = generateKeyPairSync('ed25519');
const ISSUER = 'https://api.cameleer.test';
const member: Principal = { scheme: 'logto', kind: 'user', subject: 'alice', clientId: 'c', scopes: new Set(['tenant:read']), organizationId: 'org', expiresAt: new Date('2026-01-01T01:00:00Z') };
const agent: Principal = { scheme: 'machine', kind: 'agent', subject: 'agent-1', tenantId: 't1', tokenId: 'j', expiresAt: new Date('2026-01-01T01:00:00Z') };
const identity: IdentityHeaders = {
  'x-cameleer-tenant-id': 't1',
  'x-cameleer-tenant-slug': 'acme',
  'x-cameleer-subject': 'alice',
  'x-cameleer-principal': 'user',
  'x-cameleer-scopes': 'tenant:read',
};

function signer() {
  return new IdentityAssertionSigner(new Keyring('platform', { kid: 'kid-1', ...keys }), { issuer: ISSUER, clockToleranceSeconds: 30 });
}

const request = (overrides: Partial<AssertionRequest> = {}): AssertionRequest => ({
  principal: member,
  host: 'acme.cameleer.test',
  sessionId: undefined,
  cacheKey: 'token-hash',
  identity,
  ...overrides,
});

describe('IdentityAssertionSigner', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('signs an EdDSA identity+jwt for the host, living 60 s, with the claims of the headers', async () => {
    const jwt = signer().for(request({ sessionId: 'session-uuid', identity: { ...identity, 'x-cameleer-license-tier': 'team' } }))!;
    const { payload, protectedHeader } = await jwtVerify(jwt, keys.publicKey, { algorithms: ['EdDSA'], typ: 'identity+jwt', issuer: ISSUER, audience: 'acme.cameleer.test' });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'identity+jwt', kid: 'kid-1' });
    const iat = Date.parse('2026-01-01T00:00:00Z') / 1000;
    expect(payload).toEqual({
      iss: ISSUER,
      aud: 'acme.cameleer.test',
      sub: 'alice',
      iat,
      exp: iat + 60,
      principal: 'user',
      tenant_id: 't1',
      tenant_slug: 'acme',
      scope: 'tenant:read',
      license_tier: 'team',
      sid: 'session-uuid',
    });
  });

  it('leaves out license_tier and sid when there are none, and says agent for an agent', () => {
    const payload = decodeJwt(signer().for(request({ principal: agent, identity: { ...identity, 'x-cameleer-subject': 'agent-1', 'x-cameleer-principal': 'agent', 'x-cameleer-scopes': '' } }))!);
    expect(payload).not.toHaveProperty('license_tier');
    expect(payload).not.toHaveProperty('sid');
    expect(payload).toMatchObject({ sub: 'agent-1', principal: 'agent', scope: '' });
  });

  it('never outlives the caller’s own token', () => {
    const soon = { ...member, expiresAt: new Date('2026-01-01T00:00:10Z') };
    const payload = decodeJwt(signer().for(request({ principal: soon }))!);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(10);
  });

  it('is refused by a verifier once expired', async () => {
    const jwt = signer().for(request())!;
    jest.setSystemTime(new Date('2026-01-01T00:01:01Z'));
    await expect(jwtVerify(jwt, keys.publicKey, { algorithms: ['EdDSA'], typ: 'identity+jwt', issuer: ISSUER, audience: 'acme.cameleer.test' })).rejects.toMatchObject({
      code: 'ERR_JWT_EXPIRED',
    });
  });

  it('re-signs only when fewer than 20 s remain: the warm path returns the cached assertion', () => {
    const assertions = signer();
    const first = assertions.for(request());
    jest.advanceTimersByTime(39_000);
    expect(assertions.for(request())).toBe(first);
    jest.advanceTimersByTime(1_000);
    const second = assertions.for(request());
    expect(second).not.toBe(first);
    expect(decodeJwt(second!).iat).toBe(decodeJwt(first!).iat! + 40);
  });

  it('keeps hosts, sessions and tenants apart', () => {
    const assertions = signer();
    const base = decodeJwt(assertions.for(request())!);
    expect(decodeJwt(assertions.for(request({ host: 'globex.cameleer.test' }))!).aud).toBe('globex.cameleer.test');
    expect(decodeJwt(assertions.for(request({ sessionId: 's-1' }))!).sid).toBe('s-1');
    expect(decodeJwt(assertions.for(request({ identity: { ...identity, 'x-cameleer-tenant-id': 't2' } }))!).tenant_id).toBe('t2');
    // And the first one is still served as it was.
    expect(decodeJwt(assertions.for(request())!)).toEqual(base);
  });

  it('caches per caller: each caller’s assertion is re-signed on its own schedule', () => {
    const assertions = signer();
    const a = assertions.for(request({ cacheKey: 'token-a' }));
    jest.advanceTimersByTime(10_000);
    const b = assertions.for(request({ cacheKey: 'token-b' }));
    expect(decodeJwt(b!).iat).toBe(decodeJwt(a!).iat! + 10);
    jest.advanceTimersByTime(30_000);
    expect(decodeJwt(assertions.for(request({ cacheKey: 'token-a' }))!).iat).toBe(decodeJwt(a!).iat! + 40);
    expect(assertions.for(request({ cacheKey: 'token-b' }))).toBe(b);
  });

  it('re-signs at once when decide()’s answer changed for the same caller (scopes, license tier)', () => {
    const assertions = signer();
    const first = assertions.for(request());
    const tiered = assertions.for(request({ identity: { ...identity, 'x-cameleer-license-tier': 'team' } }));
    expect(decodeJwt(tiered!).license_tier).toBe('team');
    const rescoped = assertions.for(request({ identity: { ...identity, 'x-cameleer-scopes': 'tenant:read tenant:admin' } }));
    expect(decodeJwt(rescoped!).scope).toBe('tenant:read tenant:admin');
    expect(new Set([first, tiered, rescoped]).size).toBe(3);
  });

  it('signs nothing without a host (no audience to name)', () => {
    expect(signer().for(request({ host: undefined }))).toBeUndefined();
  });
});
