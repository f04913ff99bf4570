import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { rowCounts } from '../support/hardening';
import { startTestApp, TestApp } from '../support/test-app';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { sql } from '../support/tenant-rows';

// Finding 11: the same Idempotency-Key sent with the tenant id in upper case issued a second license, because
// the key's scope was the raw URL. Ids in paths now get their one (lower-case) spelling before any guard,
// interceptor or handler reads them, and a key is scoped to the route and its params, not to the URL's spelling.
describe('hardening: the spelling of an id in the path', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;

  const api = () => request(testApp.server);
  const auth = () => ({ authorization: `Bearer ${operator}` });
  const licenses = async (tenantId: string) =>
    Number((await sql<{ n: string }>(testApp.database.url, 'SELECT count(*) AS n FROM licenses WHERE tenant_id = $1', [tenantId]))[0]?.n);

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    testApp = await startTestApp(logto.env());
    operator = await logto.operatorToken();
  });
  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  const createTenant = async (): Promise<string> => {
    const slug = `spell-${randomUUID().slice(0, 8)}`;
    const response = await api().post('/api/tenants').set(auth()).send({ slug, name: `Tenant ${slug}` }).expect(201);
    return (response.body as { id: string }).id;
  };

  it('issues exactly one license for one Idempotency-Key, whatever the case of the tenant id', async () => {
    const tenantId = await createTenant();
    const key = randomUUID();
    const upper = await api().post(`/api/tenants/${tenantId.toUpperCase()}/license`).set(auth()).set('idempotency-key', key).send({ tier: 'pro' }).expect(201);
    expect(upper.body.tenantId).toBe(tenantId);
    const before = await rowCounts(testApp);

    const lower = await api().post(`/api/tenants/${tenantId}/license`).set(auth()).set('idempotency-key', key).send({ tier: 'pro' }).expect(201);
    expect(lower.headers['idempotent-replayed']).toBe('true');
    expect(lower.body.id).toBe(upper.body.id);
    const mixed = `${tenantId.slice(0, 18).toUpperCase()}${tenantId.slice(18)}`;
    const again = await api().post(`/api/tenants/${mixed}/license`).set(auth()).set('idempotency-key', key).send({ tier: 'pro' }).expect(201);
    expect(again.body.id).toBe(upper.body.id);

    expect(await licenses(tenantId)).toBe(1);
    expect(await rowCounts(testApp)).toEqual(before);
  });

  it('refuses the same key with another body under any spelling, and writes nothing', async () => {
    const tenantId = await createTenant();
    const key = randomUUID();
    await api().post(`/api/tenants/${tenantId}/license`).set(auth()).set('idempotency-key', key).send({ tier: 'pro' }).expect(201);
    const before = await rowCounts(testApp);
    const reused = await api().post(`/api/tenants/${tenantId.toUpperCase()}/license`).set(auth()).set('idempotency-key', key).send({ tier: 'free' }).expect(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await licenses(tenantId)).toBe(1);
    expect(await rowCounts(testApp)).toEqual(before);
  });

  it('reads a tenant under its upper-case id as the one tenant, in canonical spelling', async () => {
    const tenantId = await createTenant();
    const response = await api().get(`/api/tenants/${tenantId.toUpperCase()}`).set(auth()).expect(200);
    expect(response.body.id).toBe(tenantId);
  });
});
