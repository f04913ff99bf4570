import request from 'supertest';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const BASE = 'tenants.cameleer.test';

/**
 * Forward-auth while PostgreSQL is unreachable: whatever needs the database answers 503 DATABASE_UNAVAILABLE
 * with Retry-After — never 401 about a valid token, never 404 about a real tenant — and it recovers by itself.
 * On a server the change channel is lost with the database, so even a verdict cached before the outage is
 * not served (another replica's change could be missed meanwhile).
 */
describe('forward-auth during a database outage', () => {
  let logto: TenantsIdp;
  let database: TestDatabase;
  let proxy: TcpProxy;
  let testApp: TestApp;

  beforeAll(async () => {
    logto = await startTenantsIdp();
    database = await createTestDatabase();
    const url = new URL(database.url);
    proxy = await startTcpProxy(url.hostname, Number(url.port));
    url.host = `127.0.0.1:${proxy.port}`;
    testApp = await startTestApp(logto.env({ DATABASE_URL: url.toString(), DB_CONNECT_TIMEOUT_MS: '1000', TENANT_BASE_DOMAIN: BASE }));
  });
  afterAll(async () => {
    await testApp?.close();
    await proxy?.close();
    await database?.drop();
    await logto?.stop();
  });

  it('answers 503 with Retry-After, never a stale or wrong verdict, and recovers', async () => {
    const operator = await logto.operatorToken();
    const created = await request(testApp.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug: 'acme', name: 'Acme' }).expect(201);
    await request(testApp.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug: 'globex', name: 'Globex' }).expect(201);
    const member = await logto.idp.mintUserToken({ sub: 'alice', organizationId: created.body.logtoOrganizationId as string, scopes: ['tenant:read'] });
    const verify = (slug: string, token: string) => request(testApp.server).get('/api/auth/verify').set('X-Forwarded-Host', `${slug}.${BASE}`).set('Authorization', `Bearer ${token}`);
    await verify('acme', member).expect(200);

    proxy.outage();
    // Not cached before the outage: the tenant must be read, and cannot be.
    const uncached = await verify('globex', operator).expect(503);
    expect(uncached.body).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(uncached.headers['retry-after']).toBe('5');
    if (database.isServer) {
      // The change channel went down with the database: nothing cached is trusted until it is back.
      let status = 200;
      for (let attempt = 0; attempt < 50 && status === 200; attempt += 1) {
        status = (await verify('acme', member)).status;
      }
      expect(status).toBe(503);
    }

    proxy.restore();
    let recovered = false;
    for (let attempt = 0; attempt < 50 && !recovered; attempt += 1) {
      recovered = (await verify('acme', member)).status === 200;
      if (!recovered) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(recovered).toBe(true);
    await verify('globex', operator).expect(200);
  });
});
