import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { ForwardAuthServer } from '@app/forward-auth';
import { startStubUpstream } from '../../apps/dev-edge/src/stub-upstream';
import { type DevIdp, startDevIdp } from '../support/dev-idp';
import { eventually } from '../support/eventually';
import { requiresTool } from '../support/requires-tool';
import { startTestApp, type TestApp } from '../support/test-app';
import { startTraefikLikeProxy, type TraefikLikeProxy } from '../support/traefik-like-proxy';

// The whole browser flow in Debian's Chromium (no browser download), over HTTPS through the Traefik-faithful proxy:
// a tenant URL → sign-in at the dev IdP → back in the tenant, the upstream seeing the identity and no session cookie;
// another tenant → the no-access page; sign-out; an operator's revocation. `--host-resolver-rules` maps the test
// domain to the proxy on loopback; the certificate is made with openssl here and trusted by its key's hash.
// On failure, a screenshot of every step so far is written to test-artifacts/browser-signin/ (CI keeps it).

const CHROMIUM = '/usr/bin/chromium';
const BASE = 'browser.cameleer.test';
const AUTH_HOST = `auth.${BASE}`;
const SIGN_IN_PATHS = ['/api/auth/login', '/api/auth/callback', '/api/auth/logout', '/api/auth/signed-out'];
const SESSION_COOKIE = '__Secure-cameleer_session';
const ARTIFACTS = resolve(__dirname, '../../test-artifacts/browser-signin');
const DEV_CONFIG = resolve(__dirname, '../../config/dev-idp.json');

const withBrowser =
  requiresTool(CHROMIUM, ['--version'], "the real-browser sign-in (Debian's chromium package)") &&
  requiresTool('openssl', ['version'], 'the test certificate for HTTPS through the proxy');

interface TestCertificate {
  readonly key: Buffer;
  readonly cert: Buffer;
  /** base64 SHA-256 of the SubjectPublicKeyInfo: what --ignore-certificate-errors-spki-list trusts. */
  readonly spki: string;
}

function makeCertificate(): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'browser-signin-tls-'));
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${BASE}`, '-addext', `subjectAltName=DNS:${BASE},DNS:*.${BASE}`], { stdio: 'ignore' });
  const publicKey = execFileSync('openssl', ['x509', '-in', cert, '-pubkey', '-noout']);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: publicKey });
  const spki = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64');
  return { key: readFileSync(key), cert: readFileSync(cert), spki };
}

interface IdentityShown {
  readonly headers: Record<string, string>;
  readonly cookies: string;
}

/** What the stub upstream page shows: the identity headers it received and the cookies that reached it. */
async function shownByUpstream(page: Page): Promise<IdentityShown> {
  const headers: Record<string, string> = {};
  for (const row of await page.locator('#identity tr').all()) {
    headers[(await row.locator('th').textContent()) ?? ''] = (await row.locator('td').textContent()) ?? '';
  }
  return { headers, cookies: (await page.textContent('#cookies')) ?? '' };
}

(withBrowser ? describe : describe.skip)('browser sign-in at the edge, in Chromium', () => {
  let idp: DevIdp;
  let testApp: TestApp;
  let upstream: { url: string; close(): Promise<void> };
  let proxy: TraefikLikeProxy;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let operator: string;
  const shots: { name: string; png: Buffer }[] = [];

  /** Runs one step of the flow and keeps a screenshot of where it ended; on failure writes them all and rethrows. */
  async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
    try {
      const result = await action();
      shots.push({ name, png: await page.screenshot() });
      return result;
    } catch (error) {
      shots.push({ name: `${name}-FAILED`, png: await page.screenshot().catch(() => Buffer.alloc(0)) });
      mkdirSync(ARTIFACTS, { recursive: true });
      shots.forEach((shot, index) => writeFileSync(join(ARTIFACTS, `${String(index + 1).padStart(2, '0')}-${shot.name}.png`), shot.png));
      throw error;
    }
  }

  async function signInAs(username: string, password: string): Promise<void> {
    await page.waitForSelector('input[name="username"]');
    await page.fill('input[name="username"]', username);
    await page.fill('input[name="password"]', password);
    await Promise.all([page.waitForURL((url) => url.hostname.endsWith(BASE)), page.click('button[type="submit"]')]);
  }

  async function createTenant(slug: string, ownerUserId: string): Promise<void> {
    const created = await request(testApp.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug, name: slug, ownerUserId });
    expect(created.status).toBe(201);
    await eventually(async () => expect((await request(testApp.server).get(`/api/tenants/${created.body.id as string}`).auth(operator, { type: 'bearer' })).body).toMatchObject({ status: 'ACTIVE' }), { within: 30_000 });
  }

  beforeAll(async () => {
    const tls = makeCertificate();
    idp = await startDevIdp({ configFile: DEV_CONFIG });
    const m2m = (JSON.parse(readFileSync(DEV_CONFIG, 'utf8')) as { apps: { clientId: string; clientSecret: string }[] }).apps[0]!;
    const edgeApp = await idp.registerEdgeApp({ redirectUris: [`https://${AUTH_HOST}/api/auth/callback`], postLogoutRedirectUris: [`https://${AUTH_HOST}/api/auth/signed-out`] });
    testApp = await startTestApp({
      LOGTO_ENDPOINT: idp.endpoint,
      LOGTO_API_RESOURCE: idp.apiResource,
      LOGTO_M2M_APP_ID: m2m.clientId,
      LOGTO_M2M_APP_SECRET: m2m.clientSecret,
      TENANT_BASE_DOMAIN: BASE,
      LOGTO_EDGE_APP_ID: edgeApp.clientId,
      LOGTO_EDGE_APP_SECRET: edgeApp.clientSecret,
      FORWARD_AUTH_PORT: '0',
      FORWARD_AUTH_HOST: '127.0.0.1',
      TENANT_RECONCILE_INTERVAL_MS: '200',
      RATE_LIMIT_MAX: '100000',
      EDGE_SIGN_IN_RATE_LIMIT_MAX: '100000',
      DEFAULT_TENANT_SLUG: '',
      DEFAULT_TENANT_NAME: '',
    });
    operator = await idp.mintUserToken({ sub: 'oliviaop0001', scopes: ['platform:read', 'platform:write'] });
    await createTenant('acme', 'aliceown0001');
    await createTenant('globex', 'bobmember001');
    upstream = await startStubUpstream();
    proxy = await startTraefikLikeProxy({
      authAddress: `http://127.0.0.1:${testApp.app.get(ForwardAuthServer).port}/api/auth/verify`,
      upstream: upstream.url,
      authResponseHeadersRegex: /^x[-_]cameleer[-_]/i,
      authResponseHeaders: ['Cookie'],
      routes: [{ host: AUTH_HOST, paths: SIGN_IN_PATHS, upstream: await testApp.app.getUrl() }],
      tls,
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [`--host-resolver-rules=MAP *.${BASE} 127.0.0.1:${proxy.port}`, `--ignore-certificate-errors-spki-list=${tls.spki}`],
    });
    // bypassCSP: the stub page forbids scripts; the revocation probe below runs a fetch() in it.
    context = await browser.newContext({ bypassCSP: true });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await upstream?.close();
    await testApp?.close();
    await idp?.stop();
  });

  it('signs a member in from a tenant URL and lands there; the upstream gets the identity and never the session cookie', async () => {
    await step('tenant-url-asks-to-sign-in', async () => {
      await page.goto(`https://acme.${BASE}/dashboards?tab=1`);
      expect(new URL(page.url()).origin).toBe(idp.endpoint);
    });
    await step('signed-in-lands-on-tenant', async () => {
      await signInAs('alice', 'alice-dev-password');
      await page.waitForURL(`https://acme.${BASE}/dashboards?tab=1`);
    });
    const shown = await step('upstream-sees-identity', () => shownByUpstream(page));
    expect(shown.headers).toMatchObject({ 'x-cameleer-tenant-slug': 'acme', 'x-cameleer-subject': 'aliceown0001', 'x-cameleer-principal': 'user' });
    expect(shown.headers['x-cameleer-scopes']).toContain('tenant:read');
    // The signed assertion, verified as an upstream does: the platform's published keys, this host, a session.
    const platformKeys = createRemoteJWKSet(new URL(`${await testApp.app.getUrl()}/.well-known/platform-jwks.json`));
    const { payload } = await jwtVerify(shown.headers['x-cameleer-identity'] ?? '', platformKeys, { audience: `acme.${BASE}`, typ: 'identity+jwt', algorithms: ['EdDSA'] });
    expect(payload).toMatchObject({ sub: 'aliceown0001', tenant_slug: 'acme', sid: expect.any(String) as unknown });
    expect(shown.cookies).not.toContain('cameleer_session');
    // The browser holds it, for the whole base domain (one cookie for every tenant host).
    expect((await context.cookies(`https://acme.${BASE}/`)).find((cookie) => cookie.name === SESSION_COOKIE)).toMatchObject({ domain: `.${BASE}`, secure: true, httpOnly: true, sameSite: 'Lax' });
  }, 120_000);

  it('shows another tenant the no-access page (no redirect loop), whose sign-out button signs out; the next visit asks to sign in', async () => {
    const response = await step('other-tenant-no-access', () => page.goto(`https://globex.${BASE}/`));
    expect(response?.status()).toBe(404);
    expect(page.url()).toBe(`https://globex.${BASE}/`);
    expect(await page.textContent('h1')).toBe('No access');
    await step('signed-out', async () => {
      await Promise.all([page.waitForURL((url) => url.pathname === '/api/auth/signed-out'), page.click('button[type="submit"]')]);
    });
    expect((await context.cookies(`https://acme.${BASE}/`)).map((cookie) => cookie.name)).not.toContain(SESSION_COOKIE);
    await step('after-sign-out-asks-to-sign-in', async () => {
      await page.goto(`https://acme.${BASE}/`);
      expect(new URL(page.url()).origin).toBe(idp.endpoint);
      await page.waitForSelector('input[name="password"]');
    });
  }, 120_000);

  it("stops a session within a second of an operator revoking the user's sessions", async () => {
    await step('signed-in-again', async () => {
      await signInAs('alice', 'alice-dev-password');
      await page.waitForURL(`https://acme.${BASE}/`);
    });
    const sessionCookie = async () => (await context.cookies(`https://acme.${BASE}/`)).find((cookie) => cookie.name === SESSION_COOKIE)?.value;
    const revoked = await sessionCookie();
    // A request of the page (not a navigation): 200 while the session lives, the 401 problem once it is gone.
    const probe = () => page.evaluate(() => fetch('/probe', { redirect: 'manual' }).then((answer) => answer.status));
    expect(await probe()).toBe(200);
    await request(testApp.server).delete('/api/users/aliceown0001/sessions').auth(operator, { type: 'bearer' }).expect((answer) => expect(answer.status).toBeLessThan(300));
    await step('revoked', () => eventually(async () => expect(await probe()).toBe(401), { within: 1_000 }));
    await step('revoked-navigation-signs-in-again', async () => {
      // The next page load goes through the sign-in again (Logto's own session still stands, so it needs no
      // password) and comes back with a new session: the revoked one stays dead.
      const signIns: string[] = [];
      page.on('request', (sent) => signIns.push(sent.url()));
      await page.goto(`https://acme.${BASE}/`);
      await page.waitForURL(`https://acme.${BASE}/`);
      expect(signIns.some((url) => url.startsWith(`https://${AUTH_HOST}/api/auth/login?rd=`))).toBe(true);
      expect(await sessionCookie()).not.toBe(revoked);
    });
  }, 120_000);
});
