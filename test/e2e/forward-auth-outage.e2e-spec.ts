import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ForwardAuthServer } from '@app/forward-auth';
import { licensedTenantWithAgent } from '../support/agent-fixtures';
import { eventually } from '../support/eventually';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, itOnServer, TestDatabase } from '../support/test-database';

const BASE = 'tenants.cameleer.test';
const PUBLIC_URL = 'http://127.0.0.1:3000';
const UNKNOWN_TENANTS_PER_MINUTE = 3;

/** A tenant with a license, a member (a Logto token) and a registered agent (its access token): three kinds of caller. */
interface Callers {
  readonly slug: string;
  readonly tokens: { readonly member: string; readonly operator: string; readonly agent: string };
}

/**
 * Issue 12 #12 "Database outage → 401 at forward-auth": while PostgreSQL is unreachable, whatever needs the database
 * answers 503 DATABASE_UNAVAILABLE with Retry-After on both forward-auth ports, for Logto and agent tokens alike —
 * never 401 about a valid token, never 404 about a real tenant, never a 429 — nothing of it is cached, and it
 * recovers by itself.
 */
describe('issue 12 #12: forward-auth during a database outage answers 503 with Retry-After on both ports, never a verdict about the token', () => {
  let logto: TenantsIdp;
  let database: TestDatabase;
  let proxy: TcpProxy;
  let testApp: TestApp;
  let forwardAuthPort: number;
  let operator: string;
  let acme: Callers;

  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const ports = () =>
    [
      ['main port', () => request(testApp.server)],
      ['forward-auth port', () => request(`http://127.0.0.1:${forwardAuthPort}`)],
    ] as const;
  const verify = (on: () => ReturnType<typeof request>, slug: string, token: string) => on().get('/api/auth/verify').set('X-Forwarded-Host', `${slug}.${BASE}`).set(bearer(token));

  /** New callers, never seen by forward-auth: nothing about them can be in its caches. */
  async function callers(): Promise<Callers> {
    const { slug, tokens } = await licensedTenantWithAgent(testApp.server, logto.idp, operator, 'out');
    return { slug, tokens: { ...tokens, operator: await logto.idp.mintUserToken({ sub: `operator-${slug}`, scopes: ['platform:read'] }) } };
  }

  /** Every (port, token) of `of` answers 503 DATABASE_UNAVAILABLE with Retry-After, in the problem shape, with no verdict. */
  async function expectUnavailable(of: Callers, slug = of.slug): Promise<void> {
    for (const [port, on] of ports()) {
      for (const [kind, token] of Object.entries(of.tokens)) {
        const response = await verify(on, slug, token);
        expect({ port, kind, status: response.status, code: response.body.code as unknown, retryAfter: response.headers['retry-after'], type: response.headers['content-type'] }).toEqual({
          port,
          kind,
          status: 503,
          code: 'DATABASE_UNAVAILABLE',
          retryAfter: '5',
          type: expect.stringContaining('application/problem+json') as unknown,
        });
        expect({ port, kind, challenge: response.headers['www-authenticate'], subject: response.headers['x-cameleer-subject'] }).toEqual({ port, kind, challenge: undefined, subject: undefined });
      }
    }
  }

  beforeAll(async () => {
    logto = await startTenantsIdp();
    database = await createTestDatabase();
    const url = new URL(database.url);
    proxy = await startTcpProxy(url.hostname, Number(url.port));
    url.host = `127.0.0.1:${proxy.port}`;
    testApp = await startTestApp(
      logto.env({
        DATABASE_URL: url.toString(),
        DB_CONNECT_TIMEOUT_MS: '1000',
        TENANT_BASE_DOMAIN: BASE,
        FORWARD_AUTH_PORT: '0',
        FORWARD_AUTH_HOST: '127.0.0.1',
        FORWARD_AUTH_UNKNOWN_TENANTS_PER_MINUTE: String(UNKNOWN_TENANTS_PER_MINUTE),
        AGENT_RATE_LIMIT_MAX: '100000',
        PUBLIC_URL,
      }),
    );
    forwardAuthPort = testApp.app.get(ForwardAuthServer).port ?? 0;
    operator = await logto.operatorToken();
    acme = await callers();
  });
  afterEach(async () => {
    proxy.restore();
    await eventually(async () => expect((await verify(() => request(testApp.server), acme.slug, acme.tokens.member)).status).toBe(200), { within: 15_000 });
  });
  afterAll(async () => {
    await testApp?.close();
    await proxy?.close();
    await database?.drop();
    await logto?.stop();
  });

  it('answers 503 with Retry-After for Logto and agent tokens on both ports, caches none of it, and recovers without a restart', async () => {
    const fresh = await callers();
    proxy.outage();
    await expectUnavailable(fresh);
    // Hosts that are no tenant cannot be told apart from real ones either, and an outage spends no caller's budget.
    for (let lookup = 0; lookup <= UNKNOWN_TENANTS_PER_MINUTE; lookup++) {
      await expectUnavailable(fresh, `nowhere-${lookup}-${randomUUID().slice(0, 8)}`);
    }
    proxy.restore();
    // The first answer that is not a 503 is the real verdict: no failure was remembered as "no agent", "no tenant" or a budget spent.
    for (const [port, on] of ports()) {
      for (const [kind, token] of Object.entries(fresh.tokens)) {
        const status = await eventually(
          async () => {
            const response = await verify(on, fresh.slug, token);
            expect(response.status).not.toBe(503);
            return response.status;
          },
          { within: 15_000 },
        );
        expect({ port, kind, status }).toEqual({ port, kind, status: 200 });
      }
      const unknown = await verify(on, `nowhere-${randomUUID().slice(0, 8)}`, fresh.tokens.operator);
      expect({ port, status: unknown.status, code: unknown.body.code as unknown }).toEqual({ port, status: 404, code: 'NOT_FOUND' });
    }
  });

  itOnServer('the change channel (LISTEN) goes down with the database')('serves no verdict cached before the outage on either port: the change channel is lost with the database', async () => {
    const warm = await callers();
    for (const [, on] of ports()) {
      for (const token of Object.values(warm.tokens)) {
        await verify(on, warm.slug, token).expect(200);
      }
    }
    proxy.outage();
    // Losing the channel flushes every cache at once: the same requests must now read the database, and cannot.
    await eventually(() => expectUnavailable(warm), { within: 5_000 });
  });
});
