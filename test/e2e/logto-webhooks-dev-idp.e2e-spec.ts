import request from 'supertest';
import { eventually } from '../support/eventually';
import { requiresServer, TestDatabase } from '../support/test-database';
import { createTestDatabase, queryDatabase, RunningApp, startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';

const BASE = 'tenants.cameleer.test';
const EVENTS = ['Organization.Membership.Updated', 'Organization.Deleted', 'Organization.Data.Updated', 'OrganizationRole.Scopes.Updated', 'User.Deleted', 'User.SuspensionStatus.Updated'];

interface Hook {
  id: string;
  signingKey: string;
}

/**
 * End to end through the dev IdP's webhook (signed as Logto signs, sent after the management answer, never retried):
 * what changes in Logto is refused or repaired within a second, on both replicas, without waiting for a drift pass.
 */
describe('Logto webhook from the dev IdP', () => {
  const onServer = requiresServer('two app instances notifying each other through LISTEN/NOTIFY');
  let logto: TenantsIdp;
  let database: TestDatabase;
  let first: RunningApp;
  let second: RunningApp;
  let operator: string;
  let hookId: string;

  beforeAll(async () => {
    if (!onServer) {
      return;
    }
    logto = await startTenantsIdp();
    database = await createTestDatabase();
    // The key exists once the hook does, the URL once the API listens: created first, pointed at the API after.
    const hook = await logto.admin<Hook>('POST', '/hooks', { name: 'cameleer', events: EVENTS, config: { url: 'http://127.0.0.1:9/unused' } });
    const env = logto.env({ TENANT_BASE_DOMAIN: BASE, LOGTO_WEBHOOK_SIGNING_KEY: hook.signingKey });
    first = await startAppOn(database, env);
    second = await startAppOn(database, env);
    const { port } = first.server.address() as { port: number };
    await logto.admin('PATCH', `/hooks/${hook.id}`, { config: { url: `http://127.0.0.1:${port}/api/webhooks/logto` } });
    hookId = hook.id;
    operator = await logto.operatorToken();
  });
  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
    await logto?.stop();
  });

  const createTenant = async (slug: string) => {
    const created = await request(first.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug, name: slug }).expect(201);
    return { id: created.body.id as string, organizationId: created.body.logtoOrganizationId as string };
  };
  const memberToken = async (slug: string) => {
    const tenant = await createTenant(slug);
    const userId = await logto.createUser('member');
    await logto.admin('POST', `/organizations/${tenant.organizationId}/users`, { userIds: [userId] });
    const token = await logto.idp.mintUserToken({ sub: userId, organizationId: tenant.organizationId, scopes: ['tenant:read'] });
    const guard = (app: RunningApp) => request(app.server).get(`/api/tenants/${tenant.id}`).auth(token, { type: 'bearer' });
    const forwardAuth = (app: RunningApp) => request(app.server).get('/api/auth/verify').set('X-Forwarded-Host', `${slug}.${BASE}`).set('Authorization', `Bearer ${token}`);
    // Both replicas let the member in (and have cached it) before Logto changes anything.
    for (const app of [first, second]) {
      await guard(app).expect(200);
      await forwardAuth(app).expect(200);
    }
    const refusedEverywhere = () =>
      eventually(
        async () => {
          for (const app of [first, second]) {
            expect((await guard(app)).status).toBe(401);
            expect((await forwardAuth(app)).status).toBe(401);
          }
        },
        { within: 1000 },
      );
    return { tenant, userId, refusedEverywhere };
  };

  (onServer ? it : it.skip)('a member removed in Logto is refused by the guard and forward-auth on both replicas within a second', async () => {
    const { tenant, userId, refusedEverywhere } = await memberToken('removed-member');
    await logto.admin('DELETE', `/organizations/${tenant.organizationId}/users/${userId}`);
    await refusedEverywhere();
    // Removed by the webhook: the drift pass has nothing left to report about it (the snapshot forgets it just after).
    await eventually(
      async () => expect(await queryDatabase(database.url, `SELECT 1 FROM organization_member_snapshots WHERE user_id = $1`, [userId])).toEqual([]),
      { within: 1000 },
    );
    const report = await request(first.server).post('/api/tenants/reconcile').auth(operator, { type: 'bearer' }).expect(200);
    expect(report.body.removedMembers).toEqual([]);
    const events = await request(first.server).get('/api/events').auth(operator, { type: 'bearer' }).expect(200);
    const removals = (events.body.items as { type: string; data: Record<string, unknown> }[]).filter((event) => event.type === 'member.removed');
    expect(removals).toEqual([expect.objectContaining({ data: { tenantId: tenant.id, organizationId: tenant.organizationId, userId, source: 'logto-webhook' } })]);
  });

  (onServer ? it : it.skip)('a user suspended in Logto is refused everywhere within a second', async () => {
    const { userId, refusedEverywhere } = await memberToken('suspended-user');
    await logto.admin('PATCH', `/users/${userId}/is-suspended`, { isSuspended: true });
    await refusedEverywhere();
  });

  (onServer ? it : it.skip)('a user deleted in Logto is refused everywhere within a second', async () => {
    const { userId, refusedEverywhere } = await memberToken('deleted-user');
    await logto.admin('DELETE', `/users/${userId}`);
    await refusedEverywhere();
  });

  (onServer ? it : it.skip)('an organization deleted in Logto is recreated for its tenant at once, not at the next drift pass', async () => {
    const tenant = await createTenant('deleted-organization');
    await logto.admin('DELETE', `/organizations/${tenant.organizationId}`);
    await eventually(
      async () => {
        const current = await request(first.server).get(`/api/tenants/${tenant.id}`).auth(operator, { type: 'bearer' }).expect(200);
        expect(current.body.logtoOrganizationId).not.toBe(tenant.organizationId);
        expect((await logto.organizations()).map((organization) => organization.id)).toContain(current.body.logtoOrganizationId);
      },
      { within: 2000 },
    );
  });

  (onServer ? it : it.skip)('an organization renamed in Logto gets its tenant’s name back at once', async () => {
    const tenant = await createTenant('renamed-organization');
    await logto.admin('PATCH', `/organizations/${tenant.organizationId}`, { name: 'Renamed out of band' });
    await eventually(
      async () => {
        const organization = await logto.admin<{ name: string }>('GET', `/organizations/${tenant.organizationId}`);
        expect(organization.name).toBe('renamed-organization');
      },
      { within: 2000 },
    );
  });

  (onServer ? it : it.skip)('a removal whose delivery was lost (Logto does not retry) is found by the next drift pass', async () => {
    const { tenant, userId, refusedEverywhere } = await memberToken('lost-delivery');
    // The pass before the loss records who the members are.
    await request(first.server).post('/api/tenants/reconcile').auth(operator, { type: 'bearer' }).expect(200);
    await logto.admin('PATCH', `/hooks/${hookId}`, { enabled: false });
    try {
      await logto.admin('DELETE', `/organizations/${tenant.organizationId}/users/${userId}`);
      const report = await request(first.server).post('/api/tenants/reconcile').auth(operator, { type: 'bearer' }).expect(200);
      expect(report.body.removedMembers).toEqual([{ tenantId: tenant.id, organizationId: tenant.organizationId, userId }]);
      await refusedEverywhere();
      const again = await request(first.server).post('/api/tenants/reconcile').auth(operator, { type: 'bearer' }).expect(200);
      expect(again.body.removedMembers).toEqual([]);
    } finally {
      await logto.admin('PATCH', `/hooks/${hookId}`, { enabled: true });
    }
    const events = await request(first.server).get('/api/events').auth(operator, { type: 'bearer' }).expect(200);
    const removals = (events.body.items as { type: string; data: Record<string, unknown> }[]).filter((event) => event.type === 'member.removed' && event.data.userId === userId);
    expect(removals).toEqual([expect.objectContaining({ data: { tenantId: tenant.id, organizationId: tenant.organizationId, userId, source: 'reconciler' } })]);
  });

  (onServer ? it : it.skip)('a member added (webhook delivered) and removed (delivery lost) before any drift pass is found by the next one', async () => {
    const { tenant, userId, refusedEverywhere } = await memberToken('added-then-lost');
    await eventually(
      async () => {
        const rows = await queryDatabase(database.url, `SELECT 1 FROM organization_member_snapshots WHERE organization_id = $1 AND user_id = $2`, [tenant.organizationId, userId]);
        expect(rows).toHaveLength(1);
      },
      { within: 1000 },
    );
    await logto.admin('PATCH', `/hooks/${hookId}`, { enabled: false });
    try {
      await logto.admin('DELETE', `/organizations/${tenant.organizationId}/users/${userId}`);
      const report = await request(first.server).post('/api/tenants/reconcile').auth(operator, { type: 'bearer' }).expect(200);
      expect(report.body.removedMembers).toEqual([{ tenantId: tenant.id, organizationId: tenant.organizationId, userId }]);
      await refusedEverywhere();
    } finally {
      await logto.admin('PATCH', `/hooks/${hookId}`, { enabled: true });
    }
  });
});
