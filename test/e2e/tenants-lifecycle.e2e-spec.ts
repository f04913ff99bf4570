import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import request from 'supertest';
import { EdgeSessions } from '@app/edge-sessions';
import { SessionSealer } from '@app/security';
import { Metrics } from '@app/service-core';
import { ORGANIZATION_STEP, PURGED_STEP, TenantPurge } from '@app/tenants';
import { agentKeys } from '../support/agent-fixtures';
import { eventually } from '../support/eventually';
import { CRASH_EXIT_CODE } from '../support/purge-child';
import { createTestDatabase, queryDatabase, RunningApp, startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { TestDatabase } from '../support/test-database';

const ROOT = join(__dirname, '..', '..');
const BASE = 'life.cameleer.test';

interface LiveTenant {
  readonly id: string;
  readonly slug: string;
  readonly organizationId: string;
  readonly ownerUserId: string;
  readonly agentId: string;
  /** The agent's access token, and a member's organization-scoped token (tenant:read). */
  readonly agentToken: string;
  readonly memberToken: string;
  /** A browser session holding an organization token for the tenant's organization. */
  readonly sessionId: string;
}

/**
 * Issue 16, "Delete, restore, purge", against the dev IdP: a delete stops everything of the tenant at once but keeps
 * its Logto organization; a restore within TENANT_RETENTION_DAYS brings it back SUSPENDED (and says what stays
 * stopped); the purge after the window removes the organization, agents and bootstrap tokens, keeps the licenses,
 * the audit trail and the slug, resumes after a crash at any step and waits out a Logto outage.
 */
describe('tenant lifecycle: delete, restore, purge', () => {
  let logto: TenantsIdp;
  let database: TestDatabase;
  let running: RunningApp;
  let operator: string;
  let appEnv: Record<string, string>;

  const api = () => request(running.server);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(database.url, text, values);
  const count = async (text: string, values: unknown[]): Promise<number> => Number((await sql<{ n: string }>(text, values))[0]?.n);
  const feed = async (tenantId: string): Promise<string[]> =>
    (await sql<{ type: string }>('SELECT type FROM event_outbox WHERE tenant_id = $1 ORDER BY position NULLS LAST, created_at', [tenantId])).map((row) => row.type);
  const auditActions = async (tenantId: string): Promise<string[]> =>
    (await sql<{ action: string }>('SELECT action FROM audit_events WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId])).map((row) => row.action);
  /** Forward-auth's answer for a request to the tenant's host with `token`. */
  const verify = async (slug: string, token: string): Promise<number> =>
    (await api().get('/api/auth/verify').set('X-Forwarded-Host', `${slug}.${BASE}`).set(bearer(token))).status;
  const purge = () => running.app.get(TenantPurge).purgeDue();
  const expireRetention = (tenantId: string) => sql(`UPDATE tenants SET deleted_at = now() - interval '31 days' WHERE id = $1`, [tenantId]);
  const organizationUsers = (organizationId: string) => logto.admin<{ id: string }[]>('GET', `/organizations/${organizationId}/users?page_size=100`);

  /** An ACTIVE tenant with an owner in its organization, a license, a registered agent, an unused bootstrap token and an edge session token. */
  async function liveTenant(): Promise<LiveTenant> {
    const slug = `life-${randomUUID().slice(0, 8)}`;
    const ownerUserId = await logto.createUser('owner');
    const created = await api().post('/api/tenants').set(bearer(operator)).send({ slug, name: `Tenant ${slug}`, ownerUserId }).expect(201);
    const id = created.body.id as string;
    const organizationId = created.body.logtoOrganizationId as string;
    await api().post(`/api/tenants/${id}/license`).set(bearer(operator)).send({ tier: 'pro' }).expect(201);
    const minted = await api().post(`/api/tenants/${id}/bootstrap-tokens`).set(bearer(operator)).send({}).expect(201);
    const registered = await api().post('/api/agents/register').set(bearer(minted.body.token as string)).send({ name: 'edge-1', publicKey: agentKeys().publicPem }).expect(201);
    const memberToken = await logto.idp.mintUserToken({ sub: ownerUserId, organizationId, scopes: ['tenant:read'] });
    // A browser session holding an organization token for the tenant, stored sealed as the edge stores it, then read
    // (and so cached) by this replica the way forward-auth reads it.
    const cookieHash = randomUUID().replace(/-/g, '').padEnd(64, '0');
    const [session] = await sql<{ id: string }>(
      `INSERT INTO edge_sessions (cookie_hash, subject, idle_expires_at, expires_at, refresh_token_sealed, id_token_sealed)
       VALUES ($1, $2, now() + interval '1 hour', now() + interval '1 day', 'sealed', 'sealed') RETURNING id`,
      [cookieHash, ownerUserId],
    );
    const sealed = running.app.get(SessionSealer).seal(`org-token-of-${slug}`, `${cookieHash}\norganization:${organizationId}`);
    await sql(`INSERT INTO edge_session_organization_tokens (session_id, organization_id, access_token_sealed, expires_at) VALUES ($1, $2, $3, now() + interval '1 hour')`, [
      session!.id,
      organizationId,
      sealed,
    ]);
    const sessions = running.app.get(EdgeSessions);
    expect(await sessions.organizationToken({ id: session!.id, subject: ownerUserId }, organizationId)).toBe(`org-token-of-${slug}`);
    expect(sessions.cachedOrganizationToken(session!.id, organizationId)).toBe(`org-token-of-${slug}`);
    expect(await verify(slug, memberToken)).toBe(200);
    expect(await verify(slug, registered.body.accessToken as string)).toBe(200);
    return {
      id,
      slug,
      organizationId,
      ownerUserId,
      agentId: registered.body.agentId as string,
      agentToken: registered.body.accessToken as string,
      memberToken,
      sessionId: session!.id,
    };
  }

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    database = await createTestDatabase();
    appEnv = logto.env({ TENANT_BASE_DOMAIN: BASE, AGENT_RATE_LIMIT_MAX: '100000', TENANT_PURGE_INTERVAL_MS: '86400000' });
    running = await startAppOn(database, appEnv);
    operator = await logto.operatorToken();
  });

  afterAll(async () => {
    await running?.close();
    await database?.drop();
    await logto?.stop();
  });

  afterEach(async () => {
    await logto.idp.setFault('none');
  });

  describe('DELETE', () => {
    it('stops everything of the tenant at once, in one transaction, and keeps its organization and members', async () => {
      const tenant = await liveTenant();
      await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(204);

      await eventually(
        async () => {
          expect(await verify(tenant.slug, tenant.memberToken)).not.toBe(200);
          expect(await verify(tenant.slug, tenant.agentToken)).not.toBe(200);
          expect(running.app.get(EdgeSessions).cachedOrganizationToken(tenant.sessionId, tenant.organizationId)).toBeUndefined();
        },
        { within: 1000 },
      );
      const licenses = await api().get(`/api/tenants/${tenant.id}/licenses`).set(bearer(operator));
      // The tenant is deleted, so its history is not served; the row says it all.
      expect(licenses.status).toBe(404);
      expect(await sql('SELECT state, revoked_by FROM licenses WHERE tenant_id = $1', [tenant.id])).toEqual([{ state: 'REVOKED', revoked_by: expect.stringMatching(/^operator:/) }]);
      expect(await sql('SELECT enabled FROM agents WHERE tenant_id = $1', [tenant.id])).toEqual([{ enabled: false }]);
      expect(await count('SELECT count(*) AS n FROM agent_bootstrap_tokens WHERE tenant_id = $1 AND revoked_at IS NULL', [tenant.id])).toBe(0);
      expect(await count('SELECT count(*) AS n FROM edge_session_organization_tokens WHERE organization_id = $1', [tenant.organizationId])).toBe(0);
      // The agent gets no token of any kind either.
      expect((await api().get('/api/agents/me').set(bearer(tenant.agentToken))).status).toBeGreaterThanOrEqual(400);

      await expect(logto.admin('GET', `/organizations/${tenant.organizationId}`)).resolves.toMatchObject({ id: tenant.organizationId });
      expect((await organizationUsers(tenant.organizationId)).map((user) => user.id)).toEqual([tenant.ownerUserId]);

      const events = await feed(tenant.id);
      expect(events.slice(-3)).toEqual(['tenant.deleted', 'license.revoked', 'agent.disabled']);
      expect(await auditActions(tenant.id)).toEqual(expect.arrayContaining(['tenant.deleted', 'license.revoked', 'agent.disabled', 'bootstrap_token.revoked']));

      // A second DELETE changes nothing.
      await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(204);
      expect(await feed(tenant.id)).toEqual(events);
    });

    it('two DELETEs at once: both 204, each effect once', async () => {
      const tenant = await liveTenant();
      const answers = await Promise.all([0, 1].map(() => api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator))));
      expect(answers.map((answer) => answer.status)).toEqual([204, 204]);
      const events = await feed(tenant.id);
      for (const type of ['tenant.deleted', 'license.revoked', 'agent.disabled']) {
        expect(events.filter((event) => event === type)).toHaveLength(1);
      }
    });

    it('changes nothing when one participant fails: the delete is one transaction', async () => {
      const tenant = await liveTenant();
      // A trigger refusing the agents' update stands in for any failure inside the delete.
      await sql(`CREATE OR REPLACE FUNCTION refuse_agent_update() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$ LANGUAGE plpgsql`);
      await sql(`CREATE TRIGGER refuse_agent_update BEFORE UPDATE ON agents FOR EACH ROW WHEN (NEW.tenant_id = '${tenant.id}') EXECUTE FUNCTION refuse_agent_update()`);
      try {
        const before = await feed(tenant.id);
        const failed = await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator));
        expect(failed.status).toBeGreaterThanOrEqual(500);
        expect((await sql('SELECT status, deleted_at FROM tenants WHERE id = $1', [tenant.id]))[0]).toEqual({ status: 'ACTIVE', deleted_at: null });
        expect(await sql('SELECT state FROM licenses WHERE tenant_id = $1', [tenant.id])).toEqual([{ state: 'CURRENT' }]);
        expect(await feed(tenant.id)).toEqual(before);
        expect(await verify(tenant.slug, tenant.agentToken)).toBe(200);
      } finally {
        await sql('DROP TRIGGER refuse_agent_update ON agents');
        await sql('DROP FUNCTION refuse_agent_update()');
      }
    });
  });

  describe('POST /api/tenants/{id}/restore', () => {
    it('brings a deleted tenant back SUSPENDED with its organization and members, and says what stays stopped', async () => {
      const tenant = await liveTenant();
      await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(204);
      const deleted = await api().get(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(200);
      await api().post(`/api/tenants/${tenant.id}/restore`).set(bearer(operator)).set('if-match', 'W/"1"').expect(412);

      const restored = await api().post(`/api/tenants/${tenant.id}/restore`).set(bearer(operator)).set('if-match', deleted.headers.etag as string).expect(200);
      expect(restored.headers.etag).toBe(`W/"${restored.body.tenant.version as number}"`);
      expect(restored.body.tenant).toMatchObject({ id: tenant.id, status: 'SUSPENDED', deletedAt: null, logtoOrganizationId: tenant.organizationId });
      expect(restored.body.stillStopped).toEqual([
        { kind: 'licensing', count: 1, action: expect.stringContaining(`POST /api/tenants/${tenant.id}/license`) },
        { kind: 'agents', count: 1, action: expect.stringContaining(`POST /api/tenants/${tenant.id}/bootstrap-tokens`) },
      ]);
      expect(restored.body.nextSteps[0]).toBe(`POST /api/tenants/${tenant.id}/resume to make the tenant ACTIVE again`);
      expect((await organizationUsers(tenant.organizationId)).map((user) => user.id)).toEqual([tenant.ownerUserId]);
      expect((await feed(tenant.id)).slice(-1)).toEqual(['tenant.restored']);
      expect((await auditActions(tenant.id)).slice(-1)).toEqual(['tenant.restored']);

      // Suspended: still refused; a second restore is 409 TENANT_NOT_DELETED.
      expect(await verify(tenant.slug, tenant.memberToken)).not.toBe(200);
      const again = await api().post(`/api/tenants/${tenant.id}/restore`).set(bearer(operator));
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('TENANT_NOT_DELETED');

      // Resumed: its members are back in; its agent stays disabled, its license revoked.
      await api().post(`/api/tenants/${tenant.id}/resume`).set(bearer(operator)).expect(200);
      expect(await verify(tenant.slug, tenant.memberToken)).toBe(200);
      expect(await verify(tenant.slug, tenant.agentToken)).not.toBe(200);
      expect((await api().get(`/api/tenants/${tenant.id}/license`).set(bearer(operator))).body.code).toBe('NO_CURRENT_LICENSE');
      await api().post(`/api/tenants/${tenant.id}/license`).set(bearer(operator)).send({ tier: 'pro' }).expect(201);
    });

    it('two restores at once: one 200, the other 409 TENANT_NOT_DELETED, one tenant.restored', async () => {
      const tenant = await liveTenant();
      await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(204);
      const answers = await Promise.all([0, 1].map(() => api().post(`/api/tenants/${tenant.id}/restore`).set(bearer(operator))));
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
      expect(answers.find((answer) => answer.status === 409)!.body.code).toBe('TENANT_NOT_DELETED');
      expect((await feed(tenant.id)).filter((type) => type === 'tenant.restored')).toHaveLength(1);
    });

    it('refuses a restore after the retention window (409 RETENTION_EXPIRED) and changes nothing', async () => {
      const tenant = await liveTenant();
      await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(204);
      await expireRetention(tenant.id);
      const before = await sql('SELECT * FROM tenants WHERE id = $1', [tenant.id]);
      const events = await feed(tenant.id);
      const refused = await api().post(`/api/tenants/${tenant.id}/restore`).set(bearer(operator));
      expect(refused.status).toBe(409);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({ code: 'RETENTION_EXPIRED', detail: expect.stringMatching(/could be restored until .* \(TENANT_RETENTION_DAYS=30\)/) });
      expect(await sql('SELECT * FROM tenants WHERE id = $1', [tenant.id])).toEqual(before);
      expect(await feed(tenant.id)).toEqual(events);
    });

    it('refuses a tenant that is not deleted (409), an unknown one (404), and callers without platform:write (403)', async () => {
      const tenant = await liveTenant();
      const active = await api().post(`/api/tenants/${tenant.id}/restore`).set(bearer(operator));
      expect(active.status).toBe(409);
      expect(active.body.code).toBe('TENANT_NOT_DELETED');
      await api().post(`/api/tenants/${randomUUID()}/restore`).set(bearer(operator)).expect(404);
      await api().post('/api/tenants/not-a-uuid/restore').set(bearer(operator)).expect(404);
      const reader = await logto.operatorToken(['platform:read']);
      await api().post(`/api/tenants/${tenant.id}/restore`).set(bearer(reader)).expect(403);
      const admin = await logto.idp.mintUserToken({ sub: tenant.ownerUserId, organizationId: tenant.organizationId, scopes: ['tenant:read', 'tenant:admin'] });
      await api().post(`/api/tenants/${tenant.id}/restore`).set(bearer(admin)).expect(403);
    });
  });

  describe('purge', () => {
    it('after the window: organization, agents and bootstrap tokens gone; licenses, audit trail and slug kept; tenant.purged once', async () => {
      const tenant = await liveTenant();
      await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(204);
      expect(await purge()).not.toContain(tenant.id);
      const backlog = async (state: string): Promise<number> => {
        const text = await running.app.get(Metrics).scrape();
        return Number(new RegExp(`^cameleer_tenant_purge_backlog\\{state="${state}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
      };
      const restorable = await backlog('restorable');
      expect(restorable).toBeGreaterThanOrEqual(1);
      await expireRetention(tenant.id);
      expect(await backlog('restorable')).toBe(restorable - 1);
      expect(await backlog('due')).toBeGreaterThanOrEqual(1);
      const audit = await count('SELECT count(*) AS n FROM audit_events WHERE tenant_id = $1', [tenant.id]);

      expect(await purge()).toContain(tenant.id);

      await expect(logto.admin('GET', `/organizations/${tenant.organizationId}`)).rejects.toThrow(/404/);
      expect(await count('SELECT count(*) AS n FROM agents WHERE tenant_id = $1', [tenant.id])).toBe(0);
      expect(await count('SELECT count(*) AS n FROM agent_bootstrap_tokens WHERE tenant_id = $1', [tenant.id])).toBe(0);
      expect(await count('SELECT count(*) AS n FROM licenses WHERE tenant_id = $1', [tenant.id])).toBe(1);
      expect(await count('SELECT count(*) AS n FROM audit_events WHERE tenant_id = $1', [tenant.id])).toBe(audit + 1);
      expect((await auditActions(tenant.id)).slice(-1)).toEqual(['tenant.purged']);
      expect((await feed(tenant.id)).filter((type) => type === 'tenant.purged')).toHaveLength(1);

      const gone = await api().get(`/api/tenants/${tenant.id}`).set(bearer(operator));
      expect(gone.status).toBe(410);
      expect(gone.body.code).toBe('TENANT_PURGED');
      expect((await api().post(`/api/tenants/${tenant.id}/restore`).set(bearer(operator))).body.code).toBe('TENANT_PURGED');
      // The routes below a tenant do not tell a purged tenant from a deleted one (as the README says).
      expect((await api().get(`/api/tenants/${tenant.id}/members`).set(bearer(operator))).body.code).toBe('NOT_FOUND');
      const listed = await api().get(`/api/tenants?status=DELETED&q=${tenant.slug}`).set(bearer(operator)).expect(200);
      expect(listed.body.items).toEqual([]);
      const reused = await api().post('/api/tenants').set(bearer(operator)).send({ slug: tenant.slug, name: 'Again' });
      expect(reused.status).toBe(409);
      expect(reused.body.code).toBe('SLUG_TAKEN');
      expect(await verify(tenant.slug, tenant.memberToken)).not.toBe(200);

      // Another pass finds nothing to do.
      expect(await purge()).not.toContain(tenant.id);
      expect((await feed(tenant.id)).filter((type) => type === 'tenant.purged')).toHaveLength(1);
    });

    it('waits out Logto being down: the failure is recorded, the restore is refused, and the purge completes once Logto is back', async () => {
      const tenant = await liveTenant();
      await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(204);
      await expireRetention(tenant.id);
      await logto.idp.setFault('down', { target: 'management' });

      expect(await purge()).not.toContain(tenant.id);
      const waiting = await api().get(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(200);
      expect(waiting.body.sync).toMatchObject({ pendingAction: 'DELETE', lastError: expect.any(String) });
      expect(await count('SELECT count(*) AS n FROM agents WHERE tenant_id = $1', [tenant.id])).toBe(1);
      expect((await api().post(`/api/tenants/${tenant.id}/restore`).set(bearer(operator))).body.code).toBe('RETENTION_EXPIRED');

      await logto.idp.setFault('none');
      await eventually(async () => expect(await purge()).toContain(tenant.id), { within: 15_000 });
      await expect(logto.admin('GET', `/organizations/${tenant.organizationId}`)).rejects.toThrow(/404/);
      expect(await count('SELECT count(*) AS n FROM agents WHERE tenant_id = $1', [tenant.id])).toBe(0);
      expect((await feed(tenant.id)).filter((type) => type === 'tenant.purged')).toHaveLength(1);
    });

    it('two replicas purging at once share the work: each tenant purged by one of them, tenant.purged once each', async () => {
      const tenants = [await liveTenant(), await liveTenant(), await liveTenant()];
      for (const tenant of tenants) {
        await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(204);
        await expireRetention(tenant.id);
      }
      const other = await startAppOn(database, appEnv);
      try {
        const [mine, theirs] = await Promise.all([purge(), other.app.get(TenantPurge).purgeDue()]);
        expect([...mine, ...theirs].sort()).toEqual(tenants.map((tenant) => tenant.id).sort());
      } finally {
        await other.close();
      }
      for (const tenant of tenants) {
        expect((await feed(tenant.id)).filter((type) => type === 'tenant.purged')).toHaveLength(1);
        await expect(logto.admin('GET', `/organizations/${tenant.organizationId}`)).rejects.toThrow(/404/);
      }
    });

    describe('killed half-way, then run again', () => {
      /** Runs one purge pass in a child process that exits abruptly right after `step` committed. */
      const crashingPurge = (step: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, ['-r', join(ROOT, 'scripts/register-ts.js'), join(ROOT, 'test/support/purge-child.ts')], {
            env: {
              ...process.env,
              CAMELEER_TEST_PURGE_CRASH_AFTER: step,
              // Short leases: the next run may take over a purge the crashed process held.
              PURGE_CHILD_ENV: JSON.stringify({
                ...appEnv,
                NODE_ENV: 'test',
                LOG_LEVEL: 'silent',
                DATABASE_URL: database.url,
                TENANT_SYNC_LEASE_MS: '1000',
                TENANT_REQUEST_SYNC_BUDGET_MS: '500',
                TENANT_RECONCILE_INTERVAL_MS: '3600000',
              }),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let stdout = '';
          let stderr = '';
          child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
          child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
          child.on('error', reject);
          child.on('exit', (code) => resolve({ code, stdout, stderr }));
        });

      it.each([ORGANIZATION_STEP, 'agents', PURGED_STEP])('resumes after a crash right after the %s step: each effect once, tenant.purged once', async (step) => {
        const tenant = await liveTenant();
        await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect(204);
        await expireRetention(tenant.id);
        // Only this tenant is due: any other expired one was purged by the tests above.
        const crashed = await crashingPurge(step);
        expect({ code: crashed.code, stderr: crashed.stderr }).toEqual({ code: CRASH_EXIT_CODE, stderr: '' });
        expect(JSON.parse(crashed.stdout.trim())).toEqual({ crashedAfter: step, tenantId: tenant.id });

        const [row] = await sql<{ purge_steps: string[]; purged_at: Date | null; purge_started_at: Date | null }>(
          'SELECT purge_steps, purged_at, purge_started_at FROM tenants WHERE id = $1',
          [tenant.id],
        );
        expect(row!.purge_started_at).not.toBeNull();
        expect(row!.purge_steps).toContain(step === PURGED_STEP ? 'edge-sessions' : step);
        expect(row!.purged_at === null).toBe(step !== PURGED_STEP);
        await expect(logto.admin('GET', `/organizations/${tenant.organizationId}`)).rejects.toThrow(/404/);

        // The next run (here: this process's) takes over once the crashed run's lease ran out, and finishes.
        await eventually(
          async () => {
            await purge();
            expect((await sql<{ purged_at: Date | null }>('SELECT purged_at FROM tenants WHERE id = $1', [tenant.id]))[0]!.purged_at).not.toBeNull();
          },
          { within: 15_000 },
        );
        expect(await count('SELECT count(*) AS n FROM agents WHERE tenant_id = $1', [tenant.id])).toBe(0);
        expect(await count('SELECT count(*) AS n FROM agent_bootstrap_tokens WHERE tenant_id = $1', [tenant.id])).toBe(0);
        expect(await count('SELECT count(*) AS n FROM licenses WHERE tenant_id = $1', [tenant.id])).toBe(1);
        const events = await feed(tenant.id);
        expect(events.filter((type) => type === 'tenant.purged')).toHaveLength(1);
        expect(events.filter((type) => type === 'tenant.deleted')).toHaveLength(1);
        expect((await auditActions(tenant.id)).filter((action) => action === 'tenant.purged')).toHaveLength(1);
      });
    });
  });
});
