import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';

const OPERATOR_SUB = `auditor-${randomUUID().slice(0, 8)}`;

interface AuditRecord {
  tenantId: string | null;
  actor: string;
  action: string;
  targetId: string | null;
  sourceIp: string | null;
  reason: string | null;
}

/**
 * Issue 14: the audit trail covers tenant changes (create, rename, suspend, resume, delete, drift repairs) and license
 * issue/revoke, written in the transaction of the change; operators read it across tenants at GET /api/audit-events.
 */
describe('audit trail: tenants, licenses, and the operators’ cross-tenant view', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;
  let owner: string;
  const OPERATOR = `operator:user:${OPERATOR_SUB}`;

  const api = () => request(testApp.server);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const trail = async (query: string, token = operator): Promise<{ items: AuditRecord[]; total: number; page: number; pageSize: number }> => {
    const response = await api().get(`/api/audit-events?pageSize=100&${query}`).set(bearer(token)).expect(200);
    return response.body as { items: AuditRecord[]; total: number; page: number; pageSize: number };
  };
  const createTenant = async () => {
    const slug = `audit-${randomUUID().slice(0, 8)}`;
    const created = await api().post('/api/tenants').set(bearer(operator)).send({ slug, name: `Tenant ${slug}`, ownerUserId: owner }).expect(201);
    return created.body as { id: string; slug: string; logtoOrganizationId: string };
  };

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    owner = await logto.createUser('hana');
    testApp = await startTestApp(logto.env());
    operator = await logto.idp.mintUserToken({ sub: OPERATOR_SUB, scopes: ['platform:read', 'platform:write'] });
  });
  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  it('records every tenant change and license issue/revoke, once, with who and from where; refused changes record nothing', async () => {
    const tenant = await createTenant();
    const admin = await logto.idp.mintUserToken({ sub: `admin-${tenant.slug}`, organizationId: tenant.logtoOrganizationId, scopes: ['tenant:read', 'tenant:admin'] });

    await api().patch(`/api/tenants/${tenant.id}`).set(bearer(admin)).send({ name: 'Renamed by its admin' }).expect(200);
    await api().post(`/api/tenants/${tenant.id}/suspend`).set(bearer(operator)).expect(200);
    await api().post(`/api/tenants/${tenant.id}/suspend`).set(bearer(operator)).expect(200); // unchanged: no record
    await api().post(`/api/tenants/${tenant.id}/resume`).set(bearer(operator)).set('if-match', 'W/"999"').expect(412); // refused: no record
    await api().post(`/api/tenants/${tenant.id}/resume`).set(bearer(operator)).expect(200);
    const license = await api().post(`/api/tenants/${tenant.id}/license`).set(bearer(operator)).send({ tier: 'pro' }).expect(201);
    await api().post(`/api/tenants/${tenant.id}/license`).set(bearer(operator)).send({ tier: 'nope' }).expect(400); // refused: no record
    await api().post(`/api/tenants/${tenant.id}/license/revoke`).set(bearer(operator)).send({ reason: 'contract ended' }).expect(200);
    await api().post(`/api/tenants/${tenant.id}/license/revoke`).set(bearer(operator)).send({ reason: 'again' }).expect(404); // nothing to revoke

    // Drift: the organization is renamed behind the platform's back; the repair is the reconciler's.
    await logto.admin('PATCH', `/organizations/${tenant.logtoOrganizationId}`, { name: 'Hijacked' });
    await api().post('/api/tenants/reconcile').set(bearer(operator)).expect(200);
    await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(204);
    await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(204); // already deleted: no record

    const records = (await trail(`tenantId=${tenant.id}`)).items;
    const summary = records.map(({ actor, action, targetId, reason }) => ({ actor, action, targetId, reason })).reverse();
    expect(summary).toEqual([
      { actor: OPERATOR, action: 'tenant.created', targetId: tenant.id, reason: null },
      { actor: `user:admin-${tenant.slug}`, action: 'tenant.renamed', targetId: tenant.id, reason: null },
      { actor: OPERATOR, action: 'tenant.suspended', targetId: tenant.id, reason: null },
      { actor: OPERATOR, action: 'tenant.resumed', targetId: tenant.id, reason: null },
      { actor: OPERATOR, action: 'license.issued', targetId: license.body.id, reason: null },
      { actor: OPERATOR, action: 'license.revoked', targetId: license.body.id, reason: null },
      { actor: 'system:reconciler', action: 'tenant.repaired', targetId: tenant.id, reason: 'organization_renamed' },
      { actor: OPERATOR, action: 'tenant.deleted', targetId: tenant.id, reason: null },
    ]);
    // Requests carry their client address; the reconciler's repair has none.
    expect(records.filter((record) => record.actor !== 'system:reconciler').every((record) => record.sourceIp === '127.0.0.1')).toBe(true);
    expect(records.find((record) => record.action === 'tenant.repaired')?.sourceIp).toBeNull();
    // The free-text revoke reason stays with the license, not in the trail.
    expect(JSON.stringify(records)).not.toContain('contract ended');
  });

  it('shows a tenant admin the operator’s actions as the platform’s, in the same list shape', async () => {
    const tenant = await createTenant();
    const admin = await logto.idp.mintUserToken({ sub: `admin-${tenant.slug}`, organizationId: tenant.logtoOrganizationId, scopes: ['tenant:read', 'tenant:admin'] });
    await api().post(`/api/tenants/${tenant.id}/license`).set(bearer(operator)).send({ tier: 'pro' }).expect(201);

    const asAdmin = await api().get(`/api/tenants/${tenant.id}/audit-events`).set(bearer(admin)).expect(200);
    expect(asAdmin.body).toMatchObject({ total: 2, page: 1, pageSize: 20 });
    expect(asAdmin.body.items).toEqual([
      expect.objectContaining({ actor: 'platform', action: 'license.issued', sourceIp: null }),
      expect.objectContaining({ actor: 'platform', action: 'tenant.created', sourceIp: null }),
    ]);
    expect(JSON.stringify(asAdmin.body)).not.toContain(OPERATOR_SUB);
    // The cross-tenant view is the operators' alone.
    const refused = await api().get('/api/audit-events').set(bearer(admin));
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('lists across tenants, newest first, filtered by tenant, actor and action (all combined)', async () => {
    const first = await createTenant();
    const second = await createTenant();
    const otherOperatorSub = `other-${randomUUID().slice(0, 8)}`;
    const otherOperator = await logto.idp.mintUserToken({ sub: otherOperatorSub, scopes: ['platform:read', 'platform:write'] });
    await api().post(`/api/tenants/${first.id}/suspend`).set(bearer(operator)).expect(200);
    await api().post(`/api/tenants/${second.id}/suspend`).set(bearer(otherOperator)).expect(200);

    const all = await trail('');
    expect(all.total).toBeGreaterThanOrEqual(4);
    const tenantIds = all.items.map((record) => record.tenantId);
    expect(tenantIds).toEqual(expect.arrayContaining([first.id, second.id]));
    // Newest first: the second suspend is the latest record of all.
    expect(all.items[0]).toMatchObject({ tenantId: second.id, action: 'tenant.suspended', actor: `operator:user:${otherOperatorSub}` });

    const ofFirst = await trail(`tenantId=${first.id.toUpperCase()}`);
    expect(ofFirst.items.map((record) => record.action)).toEqual(['tenant.suspended', 'tenant.created']);
    expect(ofFirst.items.every((record) => record.tenantId === first.id)).toBe(true);

    const byOther = await trail(`actor=${encodeURIComponent(`operator:user:${otherOperatorSub}`)}`);
    expect(byOther).toMatchObject({ total: 1, items: [{ tenantId: second.id, action: 'tenant.suspended' }] });

    const suspends = await trail('action=tenant.suspended');
    expect(suspends.items.every((record) => record.action === 'tenant.suspended')).toBe(true);
    expect(suspends.items.map((record) => record.tenantId)).toEqual(expect.arrayContaining([first.id, second.id]));

    const combined = await trail(`tenantId=${second.id}&action=tenant.created&actor=${encodeURIComponent(OPERATOR)}`);
    expect(combined).toMatchObject({ total: 1, items: [{ tenantId: second.id, action: 'tenant.created', actor: OPERATOR }] });
    expect((await trail(`tenantId=${second.id}&actor=${encodeURIComponent(OPERATOR)}&action=tenant.suspended`)).total).toBe(0);

    const paged = (await api().get('/api/audit-events?pageSize=1&page=2&action=tenant.suspended').set(bearer(operator)).expect(200)).body;
    expect(paged).toMatchObject({ page: 2, pageSize: 1, items: [expect.objectContaining({ action: 'tenant.suspended' })] });
  });

  it('refuses bad filters with 400 and no caller without platform:read', async () => {
    for (const query of ['tenantId=not-a-uuid', `actor=${'a'.repeat(129)}`, `action=${'a'.repeat(65)}`, 'unknown=1', 'pageSize=101']) {
      const response = await api().get(`/api/audit-events?${query}`).set(bearer(operator));
      expect({ query, status: response.status, code: response.body.code }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED' });
    }
    await api().get('/api/audit-events').expect(401);
    const writer = await logto.idp.mintUserToken({ sub: `writer-${randomUUID().slice(0, 8)}`, scopes: ['platform:write'] });
    expect((await api().get('/api/audit-events').set(bearer(writer))).status).toBe(403);
  });
});
