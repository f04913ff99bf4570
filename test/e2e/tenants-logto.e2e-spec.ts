import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { TenantPurge } from '@app/tenants';
import { FaultKind } from '../support/dev-idp';
import { createTestDatabase, eventually, queryDatabase, RunningApp, startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { TestDatabase } from '../support/test-database';

interface TenantBody {
  id: string;
  slug: string;
  name: string;
  ownerUserId: string | null;
  status: string;
  logtoOrganizationId: string | null;
  sync?: { pendingAction: string | null; attempts: number; lastError: string | null };
}

/**
 * Logto down, failing, slow or timing out after doing the work: the API still answers (202), nothing is lost,
 * and the reconciler finishes the job once Logto is back — without orphan or duplicate organizations — also
 * across a restart of the app.
 */
describe('tenants and Logto faults', () => {
  let logto: TenantsIdp;
  let database: TestDatabase;
  let running: RunningApp | undefined;
  let operator: string;

  const api = () => request(running!.server);
  const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
  const get = async (id: string): Promise<TenantBody> =>
    (await api().get(`/api/tenants/${id}`).set('authorization', `Bearer ${operator}`).expect(200)).body as TenantBody;
  const organizationsOf = async (tenantId: string) => (await logto.organizations()).filter((organization) => organization.customData.tenantId === tenantId);
  const untilActive = (id: string) =>
    eventually(async () => {
      const tenant = await get(id);
      return tenant.status === 'ACTIVE' ? tenant : undefined;
    }, 15_000, `tenant ${id} to become ACTIVE`);

  const boot = async (env: Record<string, string> = {}) => {
    running = await startAppOn(database, logto.env(env));
  };
  const shutdown = async () => {
    await running?.close();
    running = undefined;
  };

  beforeAll(async () => {
    logto = await startTenantsIdp();
    database = await createTestDatabase();
    operator = await logto.operatorToken();
  });

  afterEach(async () => {
    await logto.idp.setFault('none');
  });

  afterAll(async () => {
    await shutdown();
    await database?.drop();
    await logto?.stop();
  });

  describe('without an owner role, then restarted after it exists', () => {
    it('records the error, keeps the organization, and finishes after the restart (one organization, owner role)', async () => {
      // This runs first in the file: the IdP has no organization roles yet.
      expect(await logto.admin<{ name: string }[]>('GET', '/organization-roles?page_size=100')).toEqual([]);
      await boot();
      const gina = await logto.createUser('gina');
      const created = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug: unique('noowner'), name: 'No owner role', ownerUserId: gina });
      expect(created.status).toBe(202);
      const stuck = await get(created.body.id);
      expect(stuck.status).toBe('PROVISIONING');
      expect(stuck.logtoOrganizationId).not.toBeNull();
      expect(stuck.sync?.lastError).toMatch(/owner/);
      await shutdown();
      await logto.ensureOwnerRole();
      await boot();
      const active = await untilActive(created.body.id);
      expect(active.logtoOrganizationId).toBe(stuck.logtoOrganizationId);
      expect(await organizationsOf(created.body.id)).toHaveLength(1);
      const members = await logto.admin<{ id: string; organizationRoles: { name: string }[] }[]>('GET', `/organizations/${active.logtoOrganizationId}/users`);
      expect(members).toEqual([expect.objectContaining({ id: gina, organizationRoles: [expect.objectContaining({ name: 'owner' })] })]);
      await shutdown();
    });
  });

  describe('with the owner role in place', () => {
    beforeAll(async () => {
      await logto.ensureOwnerRole();
      await boot();
    });
    afterAll(shutdown);

    const faults: [FaultKind, number][] = [
      ['down', 0],
      ['error5xx', 0],
      ['slow', 1500],
      ['timeoutAfterSuccess', 1500],
    ];
    it.each(faults)('keeps the tenant PROVISIONING (202) while Logto is %s, then ACTIVE with exactly one organization', async (fault, delayMs) => {
      const frank = await logto.createUser('frank');
      await logto.idp.setFault(fault, { delayMs, target: 'management' });
      const slug = unique(fault.toLowerCase());
      const created = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug, name: `Faulty ${fault}`, ownerUserId: frank });
      expect(created.status).toBe(202);
      expect(created.body).toMatchObject({ slug, status: 'PROVISIONING', sync: expect.objectContaining({ pendingAction: 'PROVISION', lastError: expect.any(String) }) });
      expect(created.headers.location).toBe(`/api/tenants/${created.body.id}`);
      // Nothing is served to members of a tenant without an organization; operators still see it.
      expect((await get(created.body.id)).status).toBe('PROVISIONING');
      // Let requests Logto is still holding land before it is "back" (a slow Logto applies them late).
      await new Promise((resolve) => setTimeout(resolve, delayMs + 300));
      await logto.idp.setFault('none');
      const active = await untilActive(created.body.id);
      const organizations = await organizationsOf(created.body.id);
      expect(organizations).toHaveLength(1);
      expect(active.logtoOrganizationId).toBe(organizations[0]!.id);
      expect(organizations[0]!.name).toBe(`Faulty ${fault}`);
      const members = await logto.admin<{ id: string; organizationRoles: { name: string }[] }[]>('GET', `/organizations/${active.logtoOrganizationId}/users`);
      expect(members).toEqual([expect.objectContaining({ id: frank, organizationRoles: [expect.objectContaining({ name: 'owner' })] })]);
      expect(active.sync).toMatchObject({ pendingAction: null, lastError: null, attempts: 0 });
    });

    it('refuses to resume or suspend a PROVISIONING tenant with 409', async () => {
      await logto.idp.setFault('error5xx', { target: 'management' });
      const created = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug: unique('prov'), name: 'Provisioning' }).expect(202);
      for (const action of ['resume', 'suspend']) {
        const refused = await api().post(`/api/tenants/${created.body.id}/${action}`).set('authorization', `Bearer ${operator}`);
        expect(refused.status).toBe(409);
        expect(refused.body.code).toBe('INVALID_STATUS_TRANSITION');
      }
      await logto.idp.setFault('none');
      await untilActive(created.body.id);
    });

    it('renames organizations later when Logto was down at the time; a delete leaves the organization to the purge', async () => {
      const renamed = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug: unique('ren'), name: 'Before' }).expect(201);
      const deleted = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug: unique('del'), name: 'Doomed' }).expect(201);
      await logto.idp.setFault('down', { target: 'management' });
      const patch = await api().patch(`/api/tenants/${renamed.body.id}`).set('authorization', `Bearer ${operator}`).send({ name: 'After' }).expect(200);
      expect(patch.body).toMatchObject({ name: 'After', sync: expect.objectContaining({ pendingAction: 'RENAME' }) });
      await api().delete(`/api/tenants/${deleted.body.id}`).set('authorization', `Bearer ${operator}`).expect(204);
      expect((await get(deleted.body.id)).sync).toMatchObject({ pendingAction: null });
      await logto.idp.setFault('none');
      await eventually(async () => ((await logto.admin<{ name: string }>('GET', `/organizations/${renamed.body.logtoOrganizationId}`)).name === 'After' ? true : undefined));
      expect(await organizationsOf(deleted.body.id)).toHaveLength(1);
      expect((await get(renamed.body.id)).sync).toMatchObject({ pendingAction: null });
    });

    it('purges the organization a PROVISIONING tenant got from an ambiguous create (kept at delete)', async () => {
      await logto.idp.setFault('timeoutAfterSuccess', { delayMs: 1500, target: 'management', times: 1 });
      const created = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug: unique('amb'), name: 'Ambiguous' });
      expect(created.status).toBe(202);
      await api().delete(`/api/tenants/${created.body.id}`).set('authorization', `Bearer ${operator}`).expect(204);
      await queryDatabase(database.url, `UPDATE tenants SET deleted_at = now() - interval '31 days' WHERE id = $1`, [created.body.id]);
      await eventually(async () => ((await running!.app.get(TenantPurge).purgeDue()).includes(created.body.id) ? true : undefined));
      expect(await organizationsOf(created.body.id)).toEqual([]);
    });

    it('provisions a tenant left PROVISIONING by an outage after a restart of the app', async () => {
      await logto.idp.setFault('down', { target: 'management' });
      const created = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug: unique('restart'), name: 'Restart' }).expect(202);
      await shutdown();
      await logto.idp.setFault('none');
      await boot();
      const active = await untilActive(created.body.id);
      expect(await organizationsOf(created.body.id)).toEqual([expect.objectContaining({ id: active.logtoOrganizationId })]);
    });
  });

  describe('a slow but working Logto', () => {
    it('answers 202 after TENANT_REQUEST_SYNC_BUDGET_MS and finishes in the background (one organization)', async () => {
      await logto.ensureOwnerRole();
      await boot({ LOGTO_TIMEOUT_MS: '5000', TENANT_REQUEST_SYNC_BUDGET_MS: '300', TENANT_RECONCILE_INTERVAL_MS: '60000' });
      await logto.idp.setFault('slow', { delayMs: 800, target: 'management' });
      const created = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug: unique('budget'), name: 'Budget' });
      // 202, not 201: the request answered when its budget ran out instead of waiting for the slow Logto.
      expect(created.status).toBe(202);
      // Not the reconciler (its interval is a minute here): the request's own run completes the row.
      const active = await untilActive(created.body.id);
      expect(await organizationsOf(created.body.id)).toEqual([expect.objectContaining({ id: active.logtoOrganizationId })]);
      await logto.idp.setFault('none');
      await shutdown();
    });
  });

  describe('default tenant', () => {
    it('is created at boot, provisioned by the reconciler, and not duplicated by restarts', async () => {
      const slug = unique('default');
      await boot({ DEFAULT_TENANT_SLUG: slug, DEFAULT_TENANT_NAME: 'Default Tenant' });
      const rows = await queryDatabase<{ id: string }>(database.url, 'SELECT id FROM tenants WHERE slug = $1', [slug]);
      expect(rows).toHaveLength(1);
      await untilActive(rows[0]!.id);
      await shutdown();
      await boot({ DEFAULT_TENANT_SLUG: slug, DEFAULT_TENANT_NAME: 'Default Tenant' });
      expect(await queryDatabase(database.url, 'SELECT id FROM tenants WHERE slug = $1', [slug])).toHaveLength(1);
      expect(await organizationsOf(rows[0]!.id)).toHaveLength(1);
      await shutdown();
    });

    it('makes DEFAULT_TENANT_OWNER the owner of the default tenant\'s organization when it creates the tenant', async () => {
      await logto.ensureOwnerRole();
      const olga = await logto.createUser('olga');
      const slug = unique('owned');
      await boot({ DEFAULT_TENANT_SLUG: slug, DEFAULT_TENANT_NAME: 'Owned Default', DEFAULT_TENANT_OWNER: olga });
      const rows = await queryDatabase<{ id: string }>(database.url, 'SELECT id FROM tenants WHERE slug = $1', [slug]);
      expect(rows).toHaveLength(1);
      const active = await untilActive(rows[0]!.id);
      expect(active.ownerUserId).toBe(olga);
      const members = await logto.admin<{ id: string; organizationRoles: { name: string }[] }[]>('GET', `/organizations/${active.logtoOrganizationId}/users`);
      expect(members).toEqual([expect.objectContaining({ id: olga, organizationRoles: [expect.objectContaining({ name: 'owner' })] })]);
      await shutdown();
    });
  });

  describe('without Management API credentials', () => {
    it('keeps tenants PROVISIONING (202) and does not crash; they are provisioned once credentials are set', async () => {
      await boot({ LOGTO_M2M_APP_ID: '', LOGTO_M2M_APP_SECRET: '' });
      const created = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug: unique('unconf'), name: 'Unconfigured' });
      expect(created.status).toBe(202);
      expect(created.body.sync.lastError).toMatch(/not configured/);
      const reconcile = await api().post('/api/tenants/reconcile').set('authorization', `Bearer ${operator}`);
      expect(reconcile.status).toBe(503);
      expect(reconcile.body.code).toBe('LOGTO_NOT_CONFIGURED');
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await get(created.body.id)).status).toBe('PROVISIONING');
      await api().get('/api/health').expect(200);
      await shutdown();
      await boot();
      await untilActive(created.body.id);
      await shutdown();
    });
  });
});
