import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { requiresServer } from '../support/test-database';
import { startTestApp, TestApp } from '../support/test-app';
import { queryDatabase, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';

/** Races that need several database sessions at once: a real PostgreSQL server only. */
describe('tenants under concurrency', () => {
  const onServer = requiresServer('50 concurrent creates of one slug race on the unique index across pooled sessions');
  const serverIt = onServer ? it : it.skip;
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;

  const api = () => request(testApp.server);

  beforeAll(async () => {
    if (!onServer) {
      return;
    }
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    testApp = await startTestApp(logto.env({ DB_POOL_SIZE: '20' }));
    operator = await logto.operatorToken();
  });

  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  serverIt('50 concurrent creates of one slug: one 201, 49 × 409 SLUG_TAKEN, one row, one organization', async () => {
    const slug = `race-${randomUUID().slice(0, 8)}`;
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, index) => api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug, name: `Racer ${index}` })),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(49);
    expect(responses.filter((response) => response.status === 409).every((response) => response.body.code === 'SLUG_TAKEN')).toBe(true);
    const rows = await queryDatabase<{ id: string }>(testApp.database.url, 'SELECT id FROM tenants WHERE slug = $1', [slug]);
    expect(rows).toHaveLength(1);
    const organizations = (await logto.organizations()).filter((organization) => organization.customData.slug === slug);
    expect(organizations).toHaveLength(1);
    expect(organizations[0]!.customData.tenantId).toBe(rows[0]!.id);
  });

  serverIt('20 concurrent requests with one Idempotency-Key: one tenant; the others replay it or are told it is in progress', async () => {
    const key = randomUUID();
    const body = { slug: `idem-race-${randomUUID().slice(0, 8)}`, name: 'Idempotent race' };
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => api().post('/api/tenants').set('authorization', `Bearer ${operator}`).set('idempotency-key', key).send(body)),
    );
    const created = responses.filter((response) => response.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((response) => response.body.id as string)).size).toBe(1);
    for (const response of responses.filter((r) => r.status !== 201)) {
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    }
    expect(await queryDatabase(testApp.database.url, 'SELECT id FROM tenants WHERE slug = $1', [body.slug])).toHaveLength(1);
  });

  serverIt('concurrent renames with one If-Match: exactly one wins, the rest get 412', async () => {
    const created = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug: `etag-${randomUUID().slice(0, 8)}`, name: 'Start' }).expect(201);
    const etag = created.headers.etag as string;
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        api().patch(`/api/tenants/${created.body.id}`).set('authorization', `Bearer ${operator}`).set('if-match', etag).send({ name: `Name ${index}` }),
      ),
    );
    expect(responses.filter((response) => response.status === 200)).toHaveLength(1);
    expect(responses.filter((response) => response.status === 412)).toHaveLength(9);
  });
});
