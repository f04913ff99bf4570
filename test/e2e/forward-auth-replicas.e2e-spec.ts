import request from 'supertest';
import { eventually } from '../support/eventually';
import { requiresServer } from '../support/test-database';
import { createTestDatabase, RunningApp, startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { TestDatabase } from '../support/test-database';

const BASE = 'tenants.cameleer.test';

/** Two replicas on one database: a suspend on one closes the tenant on the other within a second (LISTEN/NOTIFY). */
describe('forward-auth cache invalidation across replicas', () => {
  const onServer = requiresServer('two app instances notifying each other through LISTEN/NOTIFY');
  let logto: TenantsIdp;
  let database: TestDatabase;
  let first: RunningApp;
  let second: RunningApp;

  beforeAll(async () => {
    if (!onServer) {
      return;
    }
    logto = await startTenantsIdp();
    database = await createTestDatabase();
    const env = logto.env({ TENANT_BASE_DOMAIN: BASE });
    first = await startAppOn(database, env);
    second = await startAppOn(database, env);
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
    await logto?.stop();
  });

  (onServer ? it : it.skip)('suspending on one replica denies on the other within a second, and a reactivation reopens it', async () => {
    const operator = await logto.operatorToken();
    const created = await request(first.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug: 'umbrella', name: 'Umbrella' }).expect(201);
    const member = await logto.idp.mintUserToken({ sub: 'u', organizationId: created.body.logtoOrganizationId as string, scopes: ['tenant:read'] });
    const verify = (app: RunningApp) => request(app.server).get('/api/auth/verify').set('X-Forwarded-Host', `umbrella.${BASE}`).set('Authorization', `Bearer ${member}`);

    // Warm the second replica's caches.
    await verify(second).expect(200);
    await request(first.server).post(`/api/tenants/${created.body.id as string}/suspend`).auth(operator, { type: 'bearer' }).expect(200);
    await eventually(async () => expect((await verify(second)).status).toBe(403), { within: 1000 });

    await request(first.server).post(`/api/tenants/${created.body.id as string}/resume`).auth(operator, { type: 'bearer' }).expect(200);
    await eventually(async () => expect((await verify(second)).status).toBe(200), { within: 1000 });
  });
});
