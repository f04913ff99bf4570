import type { License, LicensingService, UsableLicense } from '@app/licensing';
import { generateKeyPairSync } from 'node:crypto';
import { jwtVerify } from 'jose';
import { Keyring, Principal, SecurityError, TokenVerifier } from '@app/security';
import { CodedError, Metrics } from '@app/service-core';
import type { Tenant, TenantsService } from '@app/tenants';
import type { AgentStatus } from './agent-status';
import { ForwardAuthCaches } from './forward-auth.caches';
import type { ForwardAuthConfig } from './forward-auth.config';
import { ForwardAuthError } from './forward-auth.errors';
import { BrowserSession, BrowserSessions, BrowserSignIn, NoBrowserSessions } from './browser-sessions';
import { ForwardAuthService, ForwardAuthVerdict } from './forward-auth.service';
import { IDENTITY_HEADER_NAMES, IdentityHeaders } from './decision';
import { IdentityAssertionSigner } from './identity-assertion';
import { AGENT_DISABLED, applyChange, LICENSE_CHANGED, TENANT_CHANGED } from './invalidation';

const BASE = 'tenants.test';
const config: ForwardAuthConfig = { tenantBaseDomain: BASE, tokenCacheMax: 100, cacheTtlMs: 30_000, noTenantTtlMs: 5_000, unknownTenantsPerMinute: 2, host: '127.0.0.1' };
const ACME = '11111111-1111-4111-8111-111111111111';
const AGENT = '22222222-2222-4222-8222-222222222222';
const hour = () => new Date(Date.now() + 3_600_000);
const platformKeys = generateKeyPairSync('ed25519');
const platformKeyring = new Keyring('platform', { kid: 'platform-test-kid', ...platformKeys });
const assertions = () => new IdentityAssertionSigner(platformKeyring, { issuer: 'https://api.tenants.test', clockToleranceSeconds: 30 });

const principals: Record<string, Principal> = {
  member: { scheme: 'logto', kind: 'user', subject: 'alice', clientId: 'c', scopes: new Set(['tenant:read', 'tenant:admin']), organizationId: 'org-acme', expiresAt: hour() },
  outsider: { scheme: 'logto', kind: 'user', subject: 'bob', clientId: 'c', scopes: new Set(['tenant:read']), organizationId: 'org-globex', expiresAt: hour() },
  reader: { scheme: 'logto', kind: 'user', subject: 'olivia', clientId: 'c', scopes: new Set(['platform:read', 'platform:write']), expiresAt: hour() },
  writer: { scheme: 'logto', kind: 'user', subject: 'walter', clientId: 'c', scopes: new Set(['platform:write']), expiresAt: hour() },
  agent: { scheme: 'machine', kind: 'agent', subject: AGENT, tenantId: ACME, tokenId: 'jti', expiresAt: hour() },
};

/** A bearer token of the one accepted shape (a canonical compact JWS) that carries the name of a principal above. */
const tokenNamed = (name: string) => `e30.${Buffer.from(name).toString('base64url')}.c2ln`;
const nameOf = (token: string) => Buffer.from(token.split('.')[1] ?? '', 'base64url').toString();

function tenantRow(status: Tenant['status'] = 'ACTIVE'): Tenant {
  return { id: ACME, slug: 'acme', status, logtoOrganizationId: 'org-acme' } as Tenant;
}

/** The identity of an allowed verdict; anything else fails the test (refusals of API clients are thrown). */
async function identityOf(verdict: Promise<ForwardAuthVerdict>): Promise<IdentityHeaders> {
  const answered = await verdict;
  if (answered.kind !== 'allow') {
    throw new Error(`expected allow, got ${answered.kind}`);
  }
  return answered.identity;
}

function setup(sessions: BrowserSessions = new NoBrowserSessions()) {
  const metrics = new Metrics();
  const caches = new ForwardAuthCaches(config);
  const verifier = new TokenVerifier(undefined as never, undefined as never, new Metrics(), undefined as never);
  const verify = jest.spyOn(verifier, 'verify').mockImplementation((token) => {
    const principal = principals[nameOf(token)];
    return principal === undefined ? Promise.reject(new SecurityError('INVALID_TOKEN', 'bad')) : Promise.resolve(principal);
  });
  const rows = new Map<string, Tenant>([['acme', tenantRow()]]);
  const findBySlug = jest.fn((slug: string) => Promise.resolve(rows.get(slug)));
  let usable: UsableLicense | undefined;
  const usableLicense = jest.fn(() => Promise.resolve(usable));
  const isActive = jest.fn(() => Promise.resolve(true));
  const agentStatus: AgentStatus = { isActive, onDisabled: () => () => undefined };
  const service = new ForwardAuthService(config, caches, verifier, { findBySlug } as unknown as TenantsService, { usableLicense } as unknown as LicensingService, agentStatus, sessions, assertions(), metrics);
  const answer = (token: string | undefined, host = `acme.${BASE}`) => identityOf(service.answer({ authorization: token === undefined ? undefined : `Bearer ${tokenNamed(token)}`, forwardedHost: host }));
  return {
    service,
    caches,
    verify,
    rows,
    findBySlug,
    usableLicense,
    isActive,
    answer,
    license: (tier: string, usableUntil: Date) => {
      usable = { license: { tier } as License, status: 'ACTIVE', usableUntil };
    },
  };
}

const SIGN_IN: BrowserSignIn = { cookieName: '__Secure-cameleer_session', cookieDomain: BASE, cookieSecure: true, publicAuthOrigin: `https://auth.${BASE}` };

class SessionRefusal extends CodedError<string> {
  readonly catalog = { NOT_A_MEMBER: { status: 404, title: 'Not a member' }, SESSION_ENDED: { status: 401, title: 'Session ended' }, LOGTO_UNAVAILABLE: { status: 503, title: 'Logto unavailable' } };
}

/**
 * A TEST DOUBLE of the edge sessions (the real ones are @app/edge-sessions, on PostgreSQL and Logto): sessions by
 * cookie value, organization tokens by organization (a token naming a principal of this spec, or a refusal code),
 * and counters of the calls that would do I/O, to prove the warm path makes none.
 */
class InMemoryBrowserSessions implements BrowserSessions {
  readonly signIn = SIGN_IN;
  readonly sessions = new Map<string, BrowserSession>([['alice-cookie', { id: 'sid-alice', subject: 'alice' }]]);
  readonly tokens = new Map<string, string>([['org-acme', 'member']]);
  readonly warm = new Map<string, string>();
  finds = 0;
  refreshes = 0;

  cachedSession(cookieValue: string): BrowserSession | undefined {
    return this.finds > 0 ? this.sessions.get(cookieValue) : undefined;
  }

  find(cookieValue: string): Promise<BrowserSession | undefined> {
    this.finds++;
    return Promise.resolve(this.sessions.get(cookieValue));
  }

  cachedOrganizationToken(sessionId: string, organizationId: string): string | undefined {
    return this.warm.get(`${sessionId}/${organizationId}`);
  }

  organizationToken(session: BrowserSession, organizationId: string): Promise<string> {
    this.refreshes++;
    const named = this.tokens.get(organizationId) ?? 'NOT_A_MEMBER';
    if (named === 'NOT_A_MEMBER' || named === 'SESSION_ENDED' || named === 'LOGTO_UNAVAILABLE') {
      return Promise.reject(new SessionRefusal(named, 'refused'));
    }
    this.warm.set(`${session.id}/${organizationId}`, tokenNamed(named));
    return Promise.resolve(tokenNamed(named));
  }
}

const PAGE_LOAD = { forwardedMethod: 'GET', secFetchMode: 'navigate', accept: 'text/html,application/xhtml+xml', forwardedProto: 'https' } as const;

/** The refusal a page verdict carries, as refusal() reads a thrown one. */
function pageRefusal(verdict: ForwardAuthVerdict): Promise<{ status: number; code: string }> {
  if (verdict.kind !== 'page') {
    throw new Error(`expected a page, got ${verdict.kind}`);
  }
  const { error } = verdict;
  return refusal(Promise.reject(error instanceof Error ? error : new Error(String(error))));
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string }> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (error instanceof SecurityError || error instanceof ForwardAuthError) {
    return { status: error.spec.status, code: error.code };
  }
  throw new Error(`expected a refusal, got ${String(error)}`);
}

describe('ForwardAuthService', () => {
  describe('the decision', () => {
    it('lets a member in with the identity headers, its tenant scopes and the usable license tier', async () => {
      const { answer, license } = setup();
      license('enterprise', hour());
      await expect(answer('member')).resolves.toEqual({
        'x-cameleer-tenant-id': ACME,
        'x-cameleer-tenant-slug': 'acme',
        'x-cameleer-subject': 'alice',
        'x-cameleer-principal': 'user',
        'x-cameleer-scopes': 'tenant:read tenant:admin',
        'x-cameleer-license-tier': 'enterprise',
        'x-cameleer-identity': expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
      });
      // Every header of the one list the stack strips (IDENTITY_HEADER_NAMES), and no other.
      expect(Object.keys(await answer('member')).sort()).toEqual([...IDENTITY_HEADER_NAMES].sort());
    });

    it('vouches for exactly those headers in X-Cameleer-Identity, for the forwarded host', async () => {
      const { answer, license } = setup();
      license('enterprise', hour());
      const headers = await answer('member', `ACME.${BASE}:443`);
      const { payload, protectedHeader } = await jwtVerify(headers['x-cameleer-identity'] ?? '', platformKeys.publicKey, {
        algorithms: ['EdDSA'],
        typ: 'identity+jwt',
        issuer: 'https://api.tenants.test',
        audience: `acme.${BASE}`,
      });
      expect(protectedHeader.kid).toBe('platform-test-kid');
      expect(payload).toEqual({
        iss: 'https://api.tenants.test',
        aud: `acme.${BASE}`,
        sub: 'alice',
        iat: expect.any(Number),
        exp: (payload.iat ?? 0) + 60,
        principal: 'user',
        tenant_id: ACME,
        tenant_slug: 'acme',
        scope: 'tenant:read tenant:admin',
        license_tier: 'enterprise',
      });
    });

    it('drops the tier header once the license is past its grace, even from a cached snapshot', async () => {
      jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') });
      try {
        const { answer, license } = setup();
        license('enterprise', new Date(Date.now() + 1_000));
        expect((await answer('member'))['x-cameleer-license-tier']).toBe('enterprise');
        jest.advanceTimersByTime(1_001);
        expect((await answer('member'))['x-cameleer-license-tier']).toBeUndefined();
      } finally {
        jest.useRealTimers();
      }
    });

    it('lets operators with platform:read and the tenant agents in', async () => {
      const { answer } = setup();
      expect(await answer('reader')).toMatchObject({ 'x-cameleer-principal': 'user', 'x-cameleer-scopes': 'platform:read platform:write' });
      expect(await answer('agent')).toMatchObject({ 'x-cameleer-principal': 'agent', 'x-cameleer-subject': AGENT, 'x-cameleer-scopes': '' });
    });

    it('answers as the security rule does: 401, 403 scope, 404 for strangers and unknown tenants, 403 tenant state', async () => {
      const { answer, rows } = setup();
      expect(await refusal(answer(undefined))).toEqual({ status: 401, code: 'UNAUTHORIZED' });
      expect(await refusal(answer('forged'))).toEqual({ status: 401, code: 'INVALID_TOKEN' });
      expect(await refusal(answer('writer'))).toEqual({ status: 403, code: 'INSUFFICIENT_SCOPE' });
      expect(await refusal(answer('outsider'))).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(await refusal(answer('member', `initech.${BASE}`))).toEqual({ status: 404, code: 'NOT_FOUND' });
      expect(await refusal(answer('member', 'acme.elsewhere.test'))).toEqual({ status: 404, code: 'NOT_FOUND' });
      rows.set('suspended', { ...tenantRow('SUSPENDED'), slug: 'suspended' });
      expect(await refusal(answer('member', `suspended.${BASE}`))).toEqual({ status: 403, code: 'TENANT_SUSPENDED' });
    });

    it('says in a 404 which host it looked at, the same whether a tenant is there or not, and echoes nothing but a host name', async () => {
      const { answer } = setup();
      const detail = async (promise: Promise<unknown>) => ((await promise.catch((error: unknown) => error)) as SecurityError).detail;
      expect(await detail(answer('outsider', `ACME.${BASE}:8443`))).toBe(`No such tenant at host "acme.${BASE}".`);
      expect(await detail(answer('member', `initech.${BASE}`))).toBe(`No such tenant at host "initech.${BASE}".`);
      expect(await detail(answer('member', 'acme.elsewhere.test'))).toBe('No such tenant at host "acme.elsewhere.test".');
      expect(await detail(answer('member', '<script>.tenants.test'))).toBe('No such tenant: X-Forwarded-Host is not a host name.');
      expect(await detail(answer('member', ''))).toBe('No such tenant: the request names no host (X-Forwarded-Host).');
    });

    it('passes CORS preflights without a token', async () => {
      const { caches } = setup();
      const service = new ForwardAuthService(config, caches, undefined as never, undefined as never, undefined as never, undefined as never, new NoBrowserSessions(), assertions(), new Metrics());
      await expect(service.answer({ forwardedMethod: 'OPTIONS', origin: 'https://ui.test', accessControlRequestMethod: 'POST' })).resolves.toEqual({ kind: 'allow', identity: {}, cookie: undefined });
    });
  });

  describe('caching', () => {
    it('verifies a token and reads a tenant once, then answers from memory', async () => {
      const { answer, verify, findBySlug } = setup();
      await answer('member');
      await answer('member');
      expect(verify).toHaveBeenCalledTimes(1);
      expect(findBySlug).toHaveBeenCalledTimes(1);
    });

    it("asks for an agent's status once per agent, and refuses a disabled agent's token with 401", async () => {
      const { answer, isActive, caches } = setup();
      await answer('agent');
      caches.tokens.clear();
      await answer('agent');
      expect(isActive).toHaveBeenCalledTimes(1);
      isActive.mockResolvedValue(false);
      applyChange(caches, { topic: AGENT_DISABLED, id: AGENT });
      expect(await refusal(answer('agent'))).toEqual({ status: 401, code: 'INVALID_TOKEN' });
    });

    it('does not cache a verification that started before an invalidation', async () => {
      const { answer, verify, caches } = setup();
      let release = (): void => undefined;
      verify.mockImplementationOnce(() => new Promise((resolve) => (release = () => resolve(principals.member as Principal))));
      const pending = answer('member');
      await Promise.resolve();
      applyChange(caches, { topic: TENANT_CHANGED, id: 'another-tenant' });
      release();
      await pending;
      expect(caches.tokens.size).toBe(0);
      await answer('member');
      expect(verify).toHaveBeenCalledTimes(2);
      expect(caches.tokens.size).toBe(1);
    });

    it('shares a verification and a tenant read among concurrent misses, but not across an invalidation', async () => {
      const { answer, verify, findBySlug, caches } = setup();
      await Promise.all([answer('member'), answer('member'), answer('member')]);
      expect(verify).toHaveBeenCalledTimes(1);
      expect(findBySlug).toHaveBeenCalledTimes(1);

      caches.tokens.clear();
      const first = answer('member');
      applyChange(caches, { topic: TENANT_CHANGED, id: ACME });
      await Promise.all([first, answer('member')]);
      expect(verify).toHaveBeenCalledTimes(3);
    });

    it('caches nothing while the change channel is down, and shares no verification or read in flight', async () => {
      const { answer, verify, findBySlug, caches } = setup();
      caches.setEnabled(false);
      await answer('member');
      await answer('member');
      expect(verify).toHaveBeenCalledTimes(2);
      expect(findBySlug).toHaveBeenCalledTimes(2);
      // Another replica's change would go unheard: a later request must not take over an earlier one's read.
      await Promise.all([answer('member'), answer('member'), answer('member')]);
      expect(verify).toHaveBeenCalledTimes(5);
      expect(findBySlug).toHaveBeenCalledTimes(5);
    });

    it('lets the database outage through as itself (503 upstream), never as a 401 or a 404', async () => {
      const { answer, findBySlug, isActive } = setup();
      const outage = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      findBySlug.mockRejectedValueOnce(outage);
      await expect(answer('member')).rejects.toBe(outage);
      isActive.mockRejectedValueOnce(outage);
      await expect(answer('agent')).rejects.toBe(outage);
    });
  });

  describe('issue 12 #6: an invalidation wins over a verification or read in flight', () => {
    /** A deferred answer for a mocked read: the read stays in flight until `release` is called. */
    function held<T>(): { promise: Promise<T>; release(value: T): void } {
      let release: (value: T) => void = () => undefined;
      const promise = new Promise<T>((resolve) => (release = resolve));
      return { promise, release };
    }
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    /** What `promise` settled to once the event loop has turned, or 'still pending' (it joined a held read). */
    const soon = <T>(promise: Promise<T>) => Promise.race([promise, settle().then(() => 'still pending' as const)]);

    it("an agent disabled while its token's verification is in flight: the late 'active' is answered once, never cached, never shared", async () => {
      const { answer, isActive, caches } = setup();
      const statusRead = held<boolean>();
      isActive.mockReturnValueOnce(statusRead.promise);
      const before = answer('agent');
      await settle();
      expect(isActive).toHaveBeenCalledTimes(1);

      // The disable commits (the database now says disabled) and is announced while the read above is in flight.
      isActive.mockResolvedValue(false);
      applyChange(caches, { topic: AGENT_DISABLED, id: AGENT });
      // A request after the disable does not join the verification that started before it.
      expect(await soon(refusal(answer('agent')))).toEqual({ status: 401, code: 'INVALID_TOKEN' });

      statusRead.release(true);
      await expect(before).resolves.toMatchObject({ 'x-cameleer-subject': AGENT });
      expect(caches.tokens.size).toBe(0);
      expect(caches.agent(AGENT, ACME)).toBe(false);
      expect(await refusal(answer('agent'))).toEqual({ status: 401, code: 'INVALID_TOKEN' });
    });

    it('a tenant suspended while its snapshot is being read: the late ACTIVE snapshot is not cached', async () => {
      const { answer, findBySlug, rows, caches } = setup();
      const tenantRead = held<Tenant | undefined>();
      findBySlug.mockReturnValueOnce(tenantRead.promise);
      const before = answer('member');
      await settle();
      expect(findBySlug).toHaveBeenCalledTimes(1);

      rows.set('acme', tenantRow('SUSPENDED'));
      applyChange(caches, { topic: TENANT_CHANGED, id: ACME });
      expect(await soon(refusal(answer('member')))).toEqual({ status: 403, code: 'TENANT_SUSPENDED' });

      tenantRead.release(tenantRow('ACTIVE'));
      await expect(before).resolves.toMatchObject({ 'x-cameleer-tenant-id': ACME });
      expect(caches.tenant('acme')).toMatchObject({ status: 'SUSPENDED' });
      expect(await refusal(answer('member'))).toEqual({ status: 403, code: 'TENANT_SUSPENDED' });
    });

    it("a license revoked while the tenant's license is being read: the late tier is not cached", async () => {
      const { answer, usableLicense, caches, license } = setup();
      const licenseRead = held<UsableLicense | undefined>();
      usableLicense.mockReturnValueOnce(licenseRead.promise);
      const before = answer('member');
      await settle();
      expect(usableLicense).toHaveBeenCalledTimes(1);

      applyChange(caches, { topic: LICENSE_CHANGED, id: ACME });
      const during = await soon(answer('member'));
      expect(during).toMatchObject({ 'x-cameleer-tenant-id': ACME });
      expect(during).not.toHaveProperty('x-cameleer-license-tier');

      licenseRead.release({ license: { tier: 'enterprise' } as License, status: 'ACTIVE', usableUntil: hour() });
      expect((await before)['x-cameleer-license-tier']).toBe('enterprise');
      expect((await answer('member'))['x-cameleer-license-tier']).toBeUndefined();
      license('pro', hour());
      applyChange(caches, { topic: LICENSE_CHANGED, id: ACME });
      expect((await answer('member'))['x-cameleer-license-tier']).toBe('pro');
    });
  });

  describe('unknown hosts', () => {
    it('remembers "no such tenant" and bounds unknown-slug lookups per caller, without a query beyond the bound', async () => {
      const { answer, findBySlug } = setup();
      await refusal(answer('member', `nope-1.${BASE}`));
      await refusal(answer('member', `nope-1.${BASE}`));
      expect(findBySlug).toHaveBeenCalledTimes(1);
      await refusal(answer('member', `nope-2.${BASE}`));
      expect(await refusal(answer('member', `nope-3.${BASE}`))).toEqual({ status: 429, code: 'TOO_MANY_UNKNOWN_TENANTS' });
      expect(findBySlug).toHaveBeenCalledTimes(2);
      // Cached answers still come; other callers are not affected.
      expect(await refusal(answer('member', `nope-1.${BASE}`))).toEqual({ status: 404, code: 'NOT_FOUND' });
      await expect(answer('reader', `acme.${BASE}`)).resolves.toBeDefined();
    });
  });

  describe('browsers (session cookie, page loads)', () => {
    const host = `acme.${BASE}`;
    const cookie = (...pairs: string[]) => pairs.join('; ');

    it('sends a page load without credentials to sign in, with the URL it asked for; an XHR keeps its 401 problem', async () => {
      const { service } = setup(new InMemoryBrowserSessions());
      await expect(service.answer({ ...PAGE_LOAD, forwardedHost: host, forwardedUri: '/apps/1?tab=a&b=%20c' })).resolves.toEqual({
        kind: 'sign-in',
        location: `https://auth.${BASE}/api/auth/login?rd=${encodeURIComponent(`https://${host}/apps/1?tab=a&b=%20c`)}`,
        clearCookie: undefined,
      });
      // Accept: text/html alone marks a page load too (browsers without Sec-Fetch-*); HEAD as well.
      expect(await service.answer({ forwardedMethod: 'HEAD', accept: 'text/html', forwardedProto: 'https', forwardedHost: host })).toMatchObject({ kind: 'sign-in' });
      expect(await refusal(service.answer({ forwardedMethod: 'GET', secFetchMode: 'cors', accept: 'application/json', forwardedHost: host }))).toEqual({ status: 401, code: 'UNAUTHORIZED' });
      expect(await refusal(service.answer({ ...PAGE_LOAD, forwardedMethod: 'POST', forwardedHost: host }))).toEqual({ status: 401, code: 'UNAUTHORIZED' });
      // A forwarded URI that is not a request target gives no return address rather than a crafted one.
      expect(await service.answer({ ...PAGE_LOAD, forwardedHost: host, forwardedUri: '//evil.test/x' })).toMatchObject({ location: expect.stringContaining('rd=https%3A%2F%2Facme') as unknown });
      expect(await service.answer({ ...PAGE_LOAD, forwardedHost: host, forwardedUri: 'http://evil.test/' })).toMatchObject({ location: `https://auth.${BASE}/api/auth/login` });
    });

    it('lets a member in through the session: the same identity as the bearer, the cookies minus the session cookie, warm without I/O', async () => {
      const sessions = new InMemoryBrowserSessions();
      const { service, verify } = setup(sessions);
      const request = { ...PAGE_LOAD, forwardedHost: host, cookie: cookie('theme=dark', `${SIGN_IN.cookieName}=alice-cookie`, 'lang=en') };
      const first = await service.answer(request);
      expect(first).toEqual({
        kind: 'allow',
        identity: {
          'x-cameleer-tenant-id': ACME,
          'x-cameleer-tenant-slug': 'acme',
          'x-cameleer-subject': 'alice',
          'x-cameleer-principal': 'user',
          'x-cameleer-scopes': 'tenant:read tenant:admin',
          'x-cameleer-identity': expect.any(String) as unknown,
        },
        cookie: 'theme=dark; lang=en',
      });
      // The signed assertion names the session (sid), which a bearer's never does.
      const { payload } = await jwtVerify((first as { identity: IdentityHeaders }).identity['x-cameleer-identity'] ?? '', platformKeys.publicKey, { audience: host, typ: 'identity+jwt' });
      expect(payload).toMatchObject({ sub: 'alice', sid: 'sid-alice' });
      // An XHR of the signed-in page is let in the same way; with only the session cookie, no Cookie header remains.
      expect(await service.answer({ forwardedMethod: 'GET', forwardedHost: host, cookie: `${SIGN_IN.cookieName}=alice-cookie` })).toEqual({ ...first, cookie: undefined });
      expect({ finds: sessions.finds, refreshes: sessions.refreshes, verifications: verify.mock.calls.length }).toEqual({ finds: 1, refreshes: 1, verifications: 1 });
    });

    it('bearer wins over a session cookie (the cookie is not even looked up) and the session cookie is still kept from the upstream', async () => {
      const sessions = new InMemoryBrowserSessions();
      const { service } = setup(sessions);
      const verdict = await service.answer({ authorization: `Bearer ${tokenNamed('reader')}`, forwardedHost: host, cookie: `${SIGN_IN.cookieName}=no-such; a=1` });
      expect(verdict).toMatchObject({ kind: 'allow', identity: { 'x-cameleer-subject': 'olivia' }, cookie: 'a=1' });
      expect(sessions.finds).toBe(0);
      // A bad bearer token on a page load is the problem it always was, not a page or a redirect.
      expect(await refusal(service.answer({ ...PAGE_LOAD, authorization: `Bearer ${tokenNamed('forged')}`, forwardedHost: host, cookie: `${SIGN_IN.cookieName}=alice-cookie` }))).toEqual({
        status: 401,
        code: 'INVALID_TOKEN',
      });
    });

    it('an unknown or ended session: a page load signs in again and clears the stale cookie; an XHR gets 401', async () => {
      const sessions = new InMemoryBrowserSessions();
      const { service } = setup(sessions);
      const stale = { forwardedHost: host, cookie: `${SIGN_IN.cookieName}=revoked` };
      expect(await service.answer({ ...PAGE_LOAD, ...stale })).toEqual({
        kind: 'sign-in',
        location: `https://auth.${BASE}/api/auth/login?rd=${encodeURIComponent(`https://${host}/`)}`,
        clearCookie: `${SIGN_IN.cookieName}=; Domain=${BASE}; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax`,
      });
      expect(await refusal(service.answer(stale))).toEqual({ status: 401, code: 'SIGN_IN_REQUIRED' });
      sessions.tokens.set('org-acme', 'SESSION_ENDED');
      expect(await service.answer({ ...PAGE_LOAD, forwardedHost: host, cookie: `${SIGN_IN.cookieName}=alice-cookie` })).toMatchObject({ kind: 'sign-in', clearCookie: expect.any(String) as unknown });
    });

    it('a session tossed in next to the real one does not hide it: the first active one counts', async () => {
      const { service } = setup(new InMemoryBrowserSessions());
      expect(await service.answer({ ...PAGE_LOAD, forwardedHost: host, cookie: cookie(`${SIGN_IN.cookieName}=junk`, `${SIGN_IN.cookieName}=alice-cookie`) })).toMatchObject({
        kind: 'allow',
        identity: { 'x-cameleer-subject': 'alice' },
        cookie: undefined,
      });
    });

    it('signed in but no member, or no such tenant: the no-access page with a sign-out button, never a redirect', async () => {
      const sessions = new InMemoryBrowserSessions();
      const { service, rows } = setup(sessions);
      rows.set('globex', { ...tenantRow(), id: '33333333-3333-4333-8333-333333333333', slug: 'globex', logtoOrganizationId: 'org-globex' });
      const signedIn = { ...PAGE_LOAD, cookie: `${SIGN_IN.cookieName}=alice-cookie` };
      for (const other of [`globex.${BASE}`, `initech.${BASE}`, 'acme.elsewhere.test']) {
        const verdict = await service.answer({ ...signedIn, forwardedHost: other });
        expect(verdict).toMatchObject({ kind: 'page', host: other, signOutAction: `https://auth.${BASE}/api/auth/logout` });
        expect(await pageRefusal(verdict)).toEqual({ status: 404, code: 'NOT_FOUND' });
      }
    });

    it('a suspended tenant shows its 403 page; Logto unreachable shows 503 and keeps the session cookie', async () => {
      const sessions = new InMemoryBrowserSessions();
      const { service, rows, caches } = setup(sessions);
      const signedIn = { ...PAGE_LOAD, forwardedHost: host, cookie: `${SIGN_IN.cookieName}=alice-cookie` };
      sessions.tokens.set('org-acme', 'LOGTO_UNAVAILABLE');
      const unavailable = await service.answer(signedIn);
      expect(unavailable).toMatchObject({ kind: 'page', signOutAction: expect.any(String) as unknown });
      expect((unavailable as { error: CodedError }).error).toMatchObject({ code: 'LOGTO_UNAVAILABLE', spec: { status: 503 } });
      rows.set('acme', tenantRow('SUSPENDED'));
      applyChange(caches, { topic: TENANT_CHANGED, id: ACME });
      sessions.tokens.set('org-acme', 'member');
      const suspended = await service.answer(signedIn);
      expect(await pageRefusal(suspended)).toEqual({ status: 403, code: 'TENANT_SUSPENDED' });
    });

    it('without browser sessions configured, a page load without credentials gets the 401 page, not a redirect', async () => {
      const { service } = setup();
      const verdict = await service.answer({ ...PAGE_LOAD, forwardedHost: host, cookie: '__Secure-cameleer_session=x; a=1' });
      expect(verdict).toMatchObject({ kind: 'page', signOutAction: undefined });
    });
  });
});
