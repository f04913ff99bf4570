import request from 'supertest';
import { eventually } from '../support/eventually';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, itOnServer, TestDatabase } from '../support/test-database';

const BASE = 'tenants.cameleer.test';

/**
 * Forward-auth while PostgreSQL is unreachable: whatever needs the database answers 503 DATABASE_UNAVAILABLE
 * with Retry-After — never 401 about a valid token, never 404 about a real tenant — and it recovers by itself.
 */
describe('forward-auth during a database outage', () => {
  let logto: TenantsIdp;
  let database: TestDatabase;
  let proxy: TcpProxy;
  let testApp: TestApp;
  let operator: string;
  let member: string;

  const verify = (slug: string, token: string) => request(testApp.server).get('/api/auth/verify').set('X-Forwarded-Host', `${slug}.${BASE}`).set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    logto = await startTenantsIdp();
    database = await createTestDatabase();
    const url = new URL(database.url);
    proxy = await startTcpProxy(url.hostname, Number(url.port));
    url.host = `127.0.0.1:${proxy.port}`;
    testApp = await startTestApp(logto.env({ DATABASE_URL: url.toString(), DB_CONNECT_TIMEOUT_MS: '1000', TENANT_BASE_DOMAIN: BASE }));
    operator = await logto.operatorToken();
    const created = await request(testApp.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug: 'acme', name: 'Acme' }).expect(201);
    await request(testApp.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug: 'globex', name: 'Globex' }).expect(201);
    member = await logto.idp.mintUserToken({ sub: 'alice', organizationId: created.body.logtoOrganizationId as string, scopes: ['tenant:read'] });
  });
  afterEach(async () => {
    proxy.restore();
    await eventually(async () => expect((await verify('acme', member)).status).toBe(200), { within: 15_000 });
  });
  afterAll(async () => {
    await testApp?.close();
    await proxy?.close();
    await database?.drop();
    await logto?.stop();
  });

  it('answers 503 with Retry-After for a tenant it must read, and recovers without a restart', async () => {
    await verify('acme', member).expect(200);
    proxy.outage();
    const during = await verify('globex', operator).expect(503);
    expect(during.body).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(during.headers['retry-after']).toBe('5');
    proxy.restore();
    await eventually(async () => expect((await verify('globex', operator)).status).toBe(200), { within: 15_000 });
  });

  itOnServer('the change channel (LISTEN) goes down with the database')('serves no verdict cached before the outage: the change channel is lost with the database', async () => {
    await verify('acme', member).expect(200);
    proxy.outage();
    // Losing the channel flushes every cache at once: the same request must now read the tenant, and cannot.
    const during = await eventually(async () => {
      const response = await verify('acme', member);
      expect(response.status).toBe(503);
      return response;
    }, { within: 5_000 });
    expect(during.body).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(during.headers['retry-after']).toBe('5');
  });
});
