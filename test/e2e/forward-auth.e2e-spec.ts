import { spawn, ChildProcess } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import request from 'supertest';
import { ForwardAuthServer } from '@app/forward-auth';
import { MachineTokenService } from '@app/security';
import { currentSigningJwk } from '../support/dev-idp';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { eventually } from '../support/eventually';
import { requiresTool } from '../support/requires-tool';
import { startTestApp, TestApp } from '../support/test-app';
import { startEchoUpstream, startTraefikLikeProxy, TraefikLikeProxy } from '../support/traefik-like-proxy';

const BASE = 'tenants.cameleer.test';
const PATTERN = /^x[-_]cameleer[-_]/i;

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

describe('forward-auth through a proxy that behaves like Traefik', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let apiUrl: string;
  let upstream: { url: string; close(): Promise<void> };
  let proxy: TraefikLikeProxy;
  let operator: string;
  const tenants: Record<'acme' | 'globex', { id: string; organizationId: string }> = {} as never;

  async function createTenant(slug: 'acme' | 'globex'): Promise<void> {
    const created = await request(testApp.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug, name: slug.toUpperCase() });
    expect(created.status).toBe(201);
    tenants[slug] = { id: created.body.id as string, organizationId: created.body.logtoOrganizationId as string };
  }

  const member = (slug: 'acme' | 'globex', scopes = ['tenant:read']) =>
    logto.idp.mintUserToken({ sub: `user-of-${slug}`, organizationId: tenants[slug].organizationId, scopes });

  const through = (slug: string, token?: string) => {
    const call = request(proxy.url).get('/dashboard?x=1').set('Host', `${slug}.${BASE}`);
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };

  beforeAll(async () => {
    logto = await startTenantsIdp();
    testApp = await startTestApp(logto.env({ TENANT_BASE_DOMAIN: BASE, FORWARD_AUTH_PORT: '0', FORWARD_AUTH_HOST: '127.0.0.1' }));
    apiUrl = await testApp.app.getUrl();
    operator = await logto.operatorToken();
    await createTenant('acme');
    await createTenant('globex');
    upstream = await startEchoUpstream();
    // As in production: Traefik calls the dedicated internal forward-auth port. (Caddy below uses the main port's route.)
    const forwardAuthPort = testApp.app.get(ForwardAuthServer).port;
    proxy = await startTraefikLikeProxy({
      authAddress: `http://127.0.0.1:${forwardAuthPort}/api/auth/verify`,
      upstream: upstream.url,
      authResponseHeadersRegex: PATTERN,
      // As docker-compose.prod.yml: forward-auth's 200 carries the Cookie header the upstream gets.
      authResponseHeaders: ['Cookie'],
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
    await testApp?.close();
    await logto?.stop();
  });

  it('lets a tenant member through with the identity headers', async () => {
    const response = await through('acme', await member('acme')).expect(200);
    const echo = response.body as Echo;
    expect(echo.headers['x-cameleer-tenant-id']).toBe(tenants.acme.id);
    expect(echo.headers['x-cameleer-tenant-slug']).toBe('acme');
    expect(echo.headers['x-cameleer-subject']).toBe('user-of-acme');
    expect(echo.headers['x-cameleer-principal']).toBe('user');
    expect(echo.headers['x-cameleer-scopes']).toBe('tenant:read');
    expect(echo.url).toBe('/dashboard?x=1');
  });

  it('recognises operators in the scopes header', async () => {
    const echo = (await through('globex', operator).expect(200)).body as Echo;
    expect(echo.headers['x-cameleer-scopes']).toBe('platform:read platform:write');
    expect(echo.headers['x-cameleer-tenant-slug']).toBe('globex');
  });

  it('tells an operator holding only platform:write 403, as the guard does (it needs platform:read)', async () => {
    const writer = await logto.operatorToken(['platform:write']);
    const denied = await through('globex', writer).expect(403);
    expect(denied.body.code).toBe('INSUFFICIENT_SCOPE');
    expect(denied.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="platform:read", error_description="This call needs the platform:read scope."');
  });

  it('never lets forged identity headers reach the upstream, with dashes or underscores', async () => {
    const response = await through('acme', await member('acme'))
      .set('X-Cameleer-Tenant-Id', 'forged')
      .set('X_Cameleer_Tenant_Slug', 'forged')
      .set('x-cameleer-license-tier', 'enterprise')
      .expect(200);
    const echo = response.body as Echo;
    const values = Object.entries(echo.headers).filter(([name]) => PATTERN.test(name));
    expect(values.map(([, value]) => value)).not.toContain('forged');
    expect(echo.headers['x-cameleer-tenant-id']).toBe(tenants.acme.id);
    expect(echo.headers['x-cameleer-license-tier']).toBeUndefined();
  });

  it("passes the caller's cookies to the upstream through authResponseHeaders=Cookie (the stack deletes the request's)", async () => {
    const withCookies = (await through('acme', await member('acme')).set('Cookie', 'theme=dark; lang=en').expect(200)).body as Echo;
    expect(withCookies.headers.cookie).toBe('theme=dark; lang=en');
    const without = (await through('acme', await member('acme')).expect(200)).body as Echo;
    expect(without.headers).not.toHaveProperty('cookie');
  });

  it('shows a browser page load without credentials a small HTML 401 page (no sign-in configured), an XHR the problem', async () => {
    const page = await through('acme').set('Accept', 'text/html').set('Sec-Fetch-Mode', 'navigate').expect(401);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<title>Sign-in required</title>');
    expect(page.text).toContain(`acme.${BASE}`);
    const xhr = await through('acme').set('Accept', 'application/json').set('Sec-Fetch-Mode', 'cors').expect(401);
    expect(xhr.headers['content-type']).toContain('application/problem+json');
  });

  it('answers an invalid token with 401 at the client, in the problem shape', async () => {
    const response = await through('acme', 'not-a-token').expect(401);
    expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"]+"$/);
    expect(response.body).toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
    const none = await through('acme').expect(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
  });

  it('denies another tenant exactly like an unknown one (404)', async () => {
    const other = await through('globex', await member('acme')).expect(404);
    const unknown = await through('initech', await member('acme')).expect(404);
    expect(other.body.code).toBe(unknown.body.code);
    // A token bound to no organization, without operator scopes, is not bound to any tenant.
    await through('acme', await logto.idp.mintUserToken({ sub: 'plain', scopes: ['tenant:read'] })).expect(404);
  });

  it('tells a bound member without tenant:read 403', async () => {
    await through('acme', await member('acme', [])).expect(403);
  });

  it('refuses a correctly signed agent token of an agent that is not registered, and any bootstrap token', async () => {
    // Registered agents pass (test/e2e/agents.e2e-spec.ts goes mint → register → verify → disable).
    const machine = testApp.app.get(MachineTokenService);
    const stranger = await machine.sign('agent', { sub: '00000000-0000-4000-8000-000000000001', tenantId: tenants.acme.id, ttlSeconds: 60 });
    await through('acme', stranger.token).expect(401);
    const bootstrap = await machine.sign('agent-bootstrap', { sub: 'bt-1', tenantId: tenants.acme.id, ttlSeconds: 60 });
    await through('acme', bootstrap.token).expect(401);
  });

  it('tells the client what to do on both ports alike: an expired token, an organization token, a bootstrap token', async () => {
    const jwk = currentSigningJwk(logto.idp.dataDir);
    const past = Math.floor(Date.now() / 1000) - 3600;
    const expired = await new SignJWT({ client_id: 'probe-client', scope: 'platform:read', organization_id: tenants.acme.organizationId })
      .setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid: jwk.kid })
      .setIssuer(logto.idp.issuer)
      .setAudience(logto.idp.apiResource)
      .setSubject('user-of-acme')
      .setIssuedAt(past)
      .setExpirationTime(past + 600)
      .sign(createPrivateKey({ key: jwk as never, format: 'jwk' }));
    const organization = await logto.idp.mintOrganizationToken({ sub: 'user-of-acme', organizationId: tenants.acme.organizationId, scopes: [] });
    const bootstrap = (await testApp.app.get(MachineTokenService).sign('agent-bootstrap', { sub: 'bt-1', tenantId: tenants.acme.id, ttlSeconds: 60 })).token;
    const cases: [string, string, RegExp | string][] = [
      [expired, 'TOKEN_EXPIRED', /has expired: request a new one from Logto\.$/],
      [organization, 'ORGANIZATION_TOKEN', `resource=${logto.idp.apiResource} and organization_id=`],
      [bootstrap, 'WRONG_TOKEN_KIND', /^This call takes a Logto access token for this API or an agent access token; an agent bootstrap token was sent\.$/],
    ];
    for (const [token, code, detail] of cases) {
      const atClient = await through('acme', token).expect(401);
      const mainPort = await request(testApp.server).get('/api/auth/verify').set('X-Forwarded-Host', `acme.${BASE}`).auth(token, { type: 'bearer' }).expect(401);
      for (const response of [atClient, mainPort]) {
        expect({ code: response.body.code as unknown, detail: response.body.detail as unknown }).toEqual({ code, detail: typeof detail === 'string' ? expect.stringContaining(detail) : expect.stringMatching(detail) });
        expect(response.headers['www-authenticate']).toBe(`Bearer error="invalid_token", error_description="${response.body.detail as string}"`);
      }
    }
  });

  it('ignores tokens in the query string', async () => {
    const token = await member('acme');
    await request(proxy.url).get(`/dashboard?access_token=${token}`).set('Host', `acme.${BASE}`).expect(401);
  });

  it('passes CORS preflights', async () => {
    await request(proxy.url).options('/dashboard').set('Host', `acme.${BASE}`).set('Origin', 'https://ui.example').set('Access-Control-Request-Method', 'POST').expect(200);
  });

  it('lets a POST with a JSON content type and no body through verify unharmed', async () => {
    const echo = (await request(proxy.url).post('/ingest').set('Host', `acme.${BASE}`).set('Authorization', `Bearer ${await member('acme')}`).set('Content-Type', 'application/json').expect(200)).body as Echo;
    expect(echo.method).toBe('POST');
    const withBody = (await request(proxy.url).post('/ingest').set('Host', `acme.${BASE}`).set('Authorization', `Bearer ${await member('acme')}`).send({ a: 1 }).expect(200)).body as Echo;
    expect(withBody.body).toBe('{"a":1}');
  });

  it('closes a suspended tenant with 403 within a second of the suspend call, told only to bound callers', async () => {
    const token = await member('acme');
    await through('acme', token).expect(200);
    const current = await request(testApp.server).get(`/api/tenants/${tenants.acme.id}`).auth(operator, { type: 'bearer' }).expect(200);
    await request(testApp.server)
      .post(`/api/tenants/${tenants.acme.id}/suspend`)
      .auth(operator, { type: 'bearer' })
      .set('If-Match', current.headers.etag as string)
      .expect(200);
    await eventually(async () => expect((await through('acme', token)).status).toBe(403), { within: 1000 });
    const denied = await through('acme', token).expect(403);
    expect(denied.body.code).toBe('TENANT_SUSPENDED');
    // Not bound: still the plain 404.
    const outsider = await through('acme', await member('globex')).expect(404);
    expect(outsider.body.code).toBe('NOT_FOUND');
    await request(testApp.server).post(`/api/tenants/${tenants.acme.id}/resume`).auth(operator, { type: 'bearer' }).expect(200);
    await through('acme', token).expect(200);
  });

  it('serves nothing but GET /api/auth/verify on the dedicated port', async () => {
    const port = testApp.app.get(ForwardAuthServer).port;
    const other = await fetch(`http://127.0.0.1:${port}/api/tenants`, { headers: { authorization: `Bearer ${operator}` } });
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const post = await fetch(`http://127.0.0.1:${port}/api/auth/verify`, { method: 'POST', headers: { authorization: `Bearer ${operator}` } });
    expect(post.status).toBe(404);
  });

  it('gives the same decision on the main port', async () => {
    const token = await member('acme');
    const main = await request(testApp.server).get('/api/auth/verify').set('X-Forwarded-Host', `acme.${BASE}`).set('Authorization', `Bearer ${token}`).expect(200);
    expect(main.headers['x-cameleer-tenant-id']).toBe(tenants.acme.id);
    await request(testApp.server).get('/api/auth/verify').set('X-Forwarded-Host', `globex.${BASE}`).set('Authorization', `Bearer ${token}`).expect(404);
  });

  it('answers 500 at the client when the auth server is unreachable', async () => {
    const port = await freePort();
    const dead = await startTraefikLikeProxy({ authAddress: `http://127.0.0.1:${port}/api/auth/verify`, upstream: upstream.url, authResponseHeadersRegex: PATTERN });
    try {
      await request(dead.url).get('/').set('Host', `acme.${BASE}`).expect(500);
    } finally {
      await dead.close();
    }
  });

  const withCaddy = requiresTool('caddy', ['version'], "the independent check through Debian's Caddy (apt-get install caddy)");
  (withCaddy ? describe : describe.skip)("through Debian's Caddy (forward_auth), an independent check", () => {
    let caddy: ChildProcess | undefined;
    let caddyUrl = '';

    beforeAll(async () => {
      const port = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'caddy-'));
      const api = new URL(apiUrl.replace('[::1]', '127.0.0.1'));
      writeFileSync(
        join(dir, 'Caddyfile'),
        `{
  admin off
  auto_https off
}
http://:${port} {
  bind 127.0.0.1
  # route keeps the order as written: strip client copies first, then ask forward-auth.
  route {
    request_header -X-Cameleer-*
    request_header -X_Cameleer_*
    forward_auth ${api.host} {
      uri /api/auth/verify
      copy_headers X-Cameleer-Tenant-Id X-Cameleer-Tenant-Slug X-Cameleer-Subject X-Cameleer-Principal X-Cameleer-Scopes
    }
    reverse_proxy ${new URL(upstream.url).host}
  }
}
`,
      );
      caddy = spawn('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { stdio: 'ignore', env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir } });
      caddyUrl = `http://127.0.0.1:${port}`;
      await eventually(() => fetch(caddyUrl), { within: 10_000, every: 100 });
    });
    afterAll(() => {
      caddy?.kill();
    });

    it('allows a member, strips forged headers, denies others', async () => {
      const host = `acme.${BASE}`;
      const ok = await request(caddyUrl).get('/x').set('Host', host).set('Authorization', `Bearer ${await member('acme')}`).set('X-Cameleer-Tenant-Id', 'forged').set('X_Cameleer_Tenant_Id', 'forged').expect(200);
      const echo = JSON.parse(ok.text) as Echo;
      expect(echo.headers['x-cameleer-tenant-id']).toBe(tenants.acme.id);
      expect(JSON.stringify(echo.headers)).not.toContain('forged');
      await request(caddyUrl).get('/x').set('Host', host).set('Authorization', 'Bearer bad').expect(401);
      await request(caddyUrl).get('/x').set('Host', `globex.${BASE}`).set('Authorization', `Bearer ${await member('acme')}`).expect(404);
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
