import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';

/** POST /api/tenants/reconcile: drift between tenants and Logto organizations is repaired or reported. */
describe('tenants drift reconcile', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;
  let owner: string;

  const api = () => request(testApp.server);
  const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
  const createActive = async (name: string) => {
    const response = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug: unique('drift'), name, ownerUserId: owner }).expect(201);
    return response.body as { id: string; slug: string; logtoOrganizationId: string };
  };

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    owner = await logto.createUser('hana');
    testApp = await startTestApp(logto.env());
    operator = await logto.operatorToken();
  });

  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  it('recreates a missing organization, restores a renamed one, reports orphans and platform-scoped roles', async () => {
    const missing = await createActive('Missing Org');
    const renamed = await createActive('Proper Name');
    const untouched = await createActive('Untouched');
    await logto.admin('DELETE', `/organizations/${missing.logtoOrganizationId}`);
    await logto.admin('PATCH', `/organizations/${renamed.logtoOrganizationId}`, { name: 'Hijacked Name' });
    const ghostTenantId = randomUUID();
    const orphan = await logto.admin<{ id: string }>('POST', '/organizations', { name: 'Orphan', customData: { tenantId: ghostTenantId, slug: 'ghost' } });
    const foreign = await logto.admin<{ id: string }>('POST', '/organizations', { name: 'Not ours' });

    // An organization role carrying a platform scope of this API: every member holding it would be an operator.
    const resources = await logto.admin<{ id: string; indicator: string }[]>('GET', '/resources');
    const resource = resources.find((r) => r.indicator === logto.idp.apiResource)!;
    const scopes = await logto.admin<{ id: string; name: string }[]>('GET', `/resources/${resource.id}/scopes`);
    const platformWrite =
      scopes.find((scope) => scope.name === 'platform:write') ??
      (await logto.admin<{ id: string; name: string }>('POST', `/resources/${resource.id}/scopes`, { name: 'platform:write' }));
    const badRole = await logto.admin<{ id: string }>('POST', '/organization-roles', { name: 'too-powerful', resourceScopeIds: [platformWrite.id] });

    const report = await api().post('/api/tenants/reconcile').set('authorization', `Bearer ${operator}`).expect(200);
    // Two tenant organizations left, the orphan and one organization that is not a tenant's.
    expect(report.body).toMatchObject({ tenantsChecked: 3, organizationsChecked: 4 });
    expect(report.body.missingOrganizations).toEqual([
      expect.objectContaining({ tenantId: missing.id, previousOrganizationId: missing.logtoOrganizationId, repaired: true, organizationId: expect.any(String) }),
    ]);
    expect(report.body.renamedOrganizations).toEqual([
      expect.objectContaining({ tenantId: renamed.id, organizationId: renamed.logtoOrganizationId, foundName: 'Hijacked Name', restoredName: 'Proper Name', repaired: true }),
    ]);
    expect(report.body.orphanOrganizations).toEqual([{ organizationId: orphan.id, name: 'Orphan', claimedTenantId: ghostTenantId, reason: 'UNKNOWN_TENANT' }]);
    expect(report.body.platformScopedRoles).toEqual([{ roleId: badRole.id, roleName: 'too-powerful', scopes: ['platform:write'] }]);

    // The repairs are real: a new organization for the tenant (with its owner), the old name back.
    const recreatedId = report.body.missingOrganizations[0].organizationId as string;
    expect(recreatedId).not.toBe(missing.logtoOrganizationId);
    const recreated = await logto.admin<{ name: string; customData: unknown }>('GET', `/organizations/${recreatedId}`);
    expect(recreated).toMatchObject({ name: 'Missing Org', customData: { tenantId: missing.id, slug: missing.slug } });
    const members = await logto.admin<{ id: string; organizationRoles: { name: string }[] }[]>('GET', `/organizations/${recreatedId}/users`);
    expect(members).toEqual([expect.objectContaining({ id: owner, organizationRoles: [expect.objectContaining({ name: 'owner' })] })]);
    const tenant = await api().get(`/api/tenants/${missing.id}`).set('authorization', `Bearer ${operator}`).expect(200);
    expect(tenant.body).toMatchObject({ status: 'ACTIVE', logtoOrganizationId: recreatedId });
    expect((await logto.admin<{ name: string }>('GET', `/organizations/${renamed.logtoOrganizationId}`)).name).toBe('Proper Name');
    expect((await logto.admin<{ name: string }>('GET', `/organizations/${untouched.logtoOrganizationId}`)).name).toBe('Untouched');

    // A second run finds nothing left to repair; orphans are reported again, never deleted.
    const again = await api().post('/api/tenants/reconcile').set('authorization', `Bearer ${operator}`).expect(200);
    expect(again.body).toMatchObject({ missingOrganizations: [], renamedOrganizations: [], orphanOrganizations: [expect.objectContaining({ organizationId: orphan.id })] });
    await logto.admin('GET', `/organizations/${orphan.id}`);
    await logto.admin('GET', `/organizations/${foreign.id}`);
  });

  it('reports organizations of deleted tenants, duplicates claiming a live tenant, and unmarked ones naming it', async () => {
    const live = await createActive('Live');
    const gone = await createActive('Gone');
    await api().delete(`/api/tenants/${gone.id}`).set('authorization', `Bearer ${operator}`).expect(204);
    const leftover = await logto.admin<{ id: string }>('POST', '/organizations', { name: 'Leftover', customData: { tenantId: gone.id } });
    // A second organization made for the tenant carries its customData (provisioning marker included).
    const own = await logto.admin<{ customData: Record<string, unknown> }>('GET', `/organizations/${live.logtoOrganizationId}`);
    const duplicate = await logto.admin<{ id: string }>('POST', '/organizations', { name: 'Duplicate', customData: own.customData });
    // Naming the tenant is not enough to be the tenant's: without the marker it was not made by this API.
    const unmarked = await logto.admin<{ id: string }>('POST', '/organizations', { name: 'Unmarked', customData: { tenantId: live.id } });
    const report = await api().post('/api/tenants/reconcile').set('authorization', `Bearer ${operator}`).expect(200);
    expect(report.body.orphanOrganizations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ organizationId: leftover.id, claimedTenantId: gone.id, reason: 'TENANT_DELETED' }),
        expect.objectContaining({ organizationId: duplicate.id, claimedTenantId: live.id, reason: 'DUPLICATE' }),
        expect.objectContaining({ organizationId: unmarked.id, claimedTenantId: live.id, reason: 'UNMARKED' }),
      ]),
    );
    // The deleted tenant's own organization is kept for a restore until the purge: not an orphan.
    expect((report.body.orphanOrganizations as { organizationId: string }[]).map((orphan) => orphan.organizationId)).not.toContain(gone.logtoOrganizationId);
  });

  it('needs platform:write, and answers 503 while Logto is down', async () => {
    const reader = await logto.operatorToken(['platform:read']);
    await api().post('/api/tenants/reconcile').set('authorization', `Bearer ${reader}`).expect(403);
    await logto.idp.setFault('down', { target: 'management' });
    try {
      const response = await api().post('/api/tenants/reconcile').set('authorization', `Bearer ${operator}`);
      expect(response.status).toBe(503);
      expect(response.body.code).toBe('LOGTO_UNAVAILABLE');
    } finally {
      await logto.idp.setFault('none');
    }
  });
});
