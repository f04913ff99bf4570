import { randomUUID } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { LicenseEvent, LicenseEvents, LicenseVerifier } from '@app/licensing';
import { eventually } from '../support/eventually';
import { startTestApp, TestApp } from '../support/test-app';
import { itOnServer } from '../support/test-database';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { sql } from '../support/tenant-rows';

const DAY_MS = 86_400_000;

interface LicenseBody {
  id: string;
  tenantId: string;
  tier: string;
  features: string[];
  limits: Record<string, number>;
  startsAt: string;
  endsAt: string;
  graceDays: number;
  state: string;
  status: string;
  token?: string;
  revokedAt: string | null;
  revokedBy: string | null;
  revokeReason: string | null;
}

/** Licenses over HTTP against the dev IdP: issue, supersede, refresh, revoke, history, validation, isolation, races. */
describe('licensing API', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;
  let reader: string;
  let verifier: LicenseVerifier;
  const events: LicenseEvent[] = [];

  const api = () => request(testApp.server);
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });
  const rows = async (tenantId?: string): Promise<number> =>
    Number(
      (
        await sql<{ n: string }>(
          testApp.database.url,
          tenantId === undefined ? 'SELECT count(*) AS n FROM licenses' : 'SELECT count(*) AS n FROM licenses WHERE tenant_id = $1',
          tenantId === undefined ? [] : [tenantId],
        )
      )[0]?.n,
    );

  const createTenant = async (): Promise<{ id: string; slug: string; logtoOrganizationId: string }> => {
    const slug = `lic-${randomUUID().slice(0, 8)}`;
    const response = await api().post('/api/tenants').set(auth(operator)).send({ slug, name: `Tenant ${slug}` });
    expect(response.status).toBe(201);
    return response.body as { id: string; slug: string; logtoOrganizationId: string };
  };

  const issue = (tenantId: string, body: Record<string, unknown>, token = operator) =>
    api().post(`/api/tenants/${tenantId}/license`).set(auth(token)).send(body);

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    testApp = await startTestApp(logto.env());
    testApp.app.get(LicenseEvents).on((event) => events.push(event));
    operator = await logto.operatorToken();
    reader = await logto.operatorToken(['platform:read']);
    verifier = LicenseVerifier.fromJwksUrl(new URL('/.well-known/jwks.json', await testApp.app.getUrl()), {
      issuer: 'https://cameleer.local',
      audience: 'cameleer3-server',
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  describe('POST /api/tenants/:id/license', () => {
    it('issues the tier defaults with a signed token that verifies offline', async () => {
      const tenant = await createTenant();
      const before = Date.now();
      const response = await issue(tenant.id, { tier: 'pro' }).expect(201);
      const license = response.body as LicenseBody;
      expect(response.headers['cache-control']).toBe('no-store');
      expect(license).toMatchObject({
        tenantId: tenant.id,
        tier: 'pro',
        features: ['tracing', 'metrics', 'logs', 'alerts', 'audit-log'],
        limits: { maxAgents: 50, maxEnvironments: 5, retentionDays: 30, maxUsers: 50 },
        graceDays: 14,
        state: 'CURRENT',
        status: 'ACTIVE',
        revokedAt: null,
      });
      const days = (Date.parse(license.endsAt) - Date.parse(license.startsAt)) / DAY_MS;
      expect(days).toBeCloseTo(365, 5);
      expect(Date.parse(license.startsAt)).toBeGreaterThanOrEqual(before - 1000);

      const header = decodeProtectedHeader(license.token ?? '');
      expect(header).toEqual({ alg: 'EdDSA', typ: 'license+jwt', kid: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
      const verified = await verifier.verify(license.token ?? '');
      expect(verified.status).toBe('ACTIVE');
      expect(verified.claims).toMatchObject({
        iss: 'https://cameleer.local',
        aud: 'cameleer3-server',
        sub: tenant.id,
        jti: license.id,
        tier: 'pro',
        features: license.features,
        limits: license.limits,
        grace_days: 14,
        tenant_slug: tenant.slug,
        lic_exp: Math.floor(Date.parse(license.endsAt) / 1000),
      });
      const { iat, nbf, exp } = verified.claims;
      expect(nbf).toBe(iat);
      expect(exp - iat).toBe(30 * 86_400);
      expect(events).toContainEqual({ type: 'issued', tenantId: tenant.id, licenseId: license.id, supersededLicenseId: null });
    });

    it('replaces features, merges limits, takes validDays / endsAt / graceDays, and reports EXPIRING', async () => {
      const tenant = await createTenant();
      const custom = await issue(tenant.id, { tier: 'starter', features: ['sso', 'tracing'], limits: { maxAgents: 0, retentionDays: 14 }, validDays: 10, graceDays: 0 }).expect(201);
      expect(custom.body).toMatchObject({
        features: ['sso', 'tracing'],
        limits: { maxAgents: 0, maxEnvironments: 2, retentionDays: 14, maxUsers: 10 },
        graceDays: 0,
        status: 'EXPIRING',
      });
      // exp never reaches past the end of the contract plus grace.
      const verified = await verifier.verify((custom.body as LicenseBody).token ?? '');
      expect(verified.claims.exp).toBe(verified.claims.lic_exp);
      expect(verified.status).toBe('EXPIRING');

      const endsAt = new Date(Date.now() + 400 * DAY_MS);
      endsAt.setUTCMilliseconds(0);
      const dated = await issue(tenant.id, { tier: 'enterprise', endsAt: endsAt.toISOString(), features: [] }).expect(201);
      expect(dated.body).toMatchObject({ endsAt: endsAt.toISOString(), graceDays: 30, features: [] });
    });

    it('supersedes the previous license in the same step: one CURRENT, the history newest first', async () => {
      const tenant = await createTenant();
      const first = (await issue(tenant.id, { tier: 'free' }).expect(201)).body as LicenseBody;
      const second = (await issue(tenant.id, { tier: 'starter' }).expect(201)).body as LicenseBody;
      const third = (await issue(tenant.id, { tier: 'pro' }).expect(201)).body as LicenseBody;
      expect(events).toContainEqual({ type: 'issued', tenantId: tenant.id, licenseId: third.id, supersededLicenseId: second.id });

      const history = await api().get(`/api/tenants/${tenant.id}/licenses`).set(auth(reader)).expect(200);
      expect(history.body).toMatchObject({ total: 3, page: 1, pageSize: 20 });
      const items = history.body.items as LicenseBody[];
      expect(items.map((item) => [item.id, item.state])).toEqual([
        [third.id, 'CURRENT'],
        [second.id, 'SUPERSEDED'],
        [first.id, 'SUPERSEDED'],
      ]);
      expect(items.every((item) => item.token === undefined)).toBe(true);
      const paged = await api().get(`/api/tenants/${tenant.id}/licenses?page=2&pageSize=2`).set(auth(reader)).expect(200);
      expect((paged.body.items as LicenseBody[]).map((item) => item.id)).toEqual([first.id]);
    });

    it('honours Idempotency-Key: the same request replays the first response and writes one row', async () => {
      const tenant = await createTenant();
      const key = randomUUID();
      const first = await issue(tenant.id, { tier: 'pro' }).set('idempotency-key', key).expect(201);
      const replay = await issue(tenant.id, { tier: 'pro' }).set('idempotency-key', key).expect(201);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.body.id).toBe(first.body.id);
      expect(await rows(tenant.id)).toBe(1);
      const reused = await issue(tenant.id, { tier: 'free' }).set('idempotency-key', key).expect(422);
      expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
      expect(await rows(tenant.id)).toBe(1);
    });

    describe('refuses bad input in the problem shape and writes nothing', () => {
      let tenantId: string;
      beforeAll(async () => {
        tenantId = (await createTenant()).id;
      });

      const future = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();
      const cases: [string, Record<string, unknown>, string][] = [
        ['an unknown tier', { tier: 'platinum' }, 'tier'],
        ['a missing tier', {}, 'tier'],
        ['an unknown feature', { tier: 'pro', features: ['tracing', 'teleportation'] }, 'features'],
        ['a feature twice', { tier: 'pro', features: ['tracing', 'tracing'] }, 'features'],
        ['features of the wrong type', { tier: 'pro', features: 'tracing' }, 'features'],
        ['a negative limit', { tier: 'pro', limits: { maxAgents: -1 } }, 'limits.maxAgents'],
        ['a fractional limit', { tier: 'pro', limits: { maxUsers: 2.5 } }, 'limits.maxUsers'],
        ['a limit as a string', { tier: 'pro', limits: { maxUsers: '5' } }, 'limits.maxUsers'],
        ['an unknown limit name', { tier: 'pro', limits: { maxPlanets: 3 } }, 'limits.maxPlanets'],
        ['limits that are not an object', { tier: 'pro', limits: [1] }, 'limits'],
        ['an end in the past', { tier: 'pro', endsAt: future(-1) }, 'endsAt'],
        ['an end more than 5 years away', { tier: 'pro', endsAt: future(5 * 366) }, 'endsAt'],
        ['an end without a time zone', { tier: 'pro', endsAt: '2030-01-01T00:00:00' }, 'endsAt'],
        ['a date that is not one', { tier: 'pro', endsAt: 'next tuesday' }, 'endsAt'],
        ['validDays 0', { tier: 'pro', validDays: 0 }, 'validDays'],
        ['validDays over 5 years', { tier: 'pro', validDays: 1827 }, 'validDays'],
        ['validDays as a string', { tier: 'pro', validDays: '30' }, 'validDays'],
        ['both validDays and endsAt', { tier: 'pro', validDays: 30, endsAt: future(30) }, 'endsAt'],
        ['graceDays over 90', { tier: 'pro', graceDays: 91 }, 'graceDays'],
        ['an extra field', { tier: 'pro', owner: 'mallory' }, 'owner'],
        ['a tier of the wrong type', { tier: 3 }, 'tier'],
      ];

      it.each(cases)('%s → 400', async (_name, body, field) => {
        const before = await rows();
        const response = await issue(tenantId, body).expect(400);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', type: expect.any(String), requestId: expect.any(String) });
        expect((response.body.errors as { field: string }[]).map((error) => error.field)).toContain(field);
        expect(await rows()).toBe(before);
      });

      it('a body that is not JSON → 400 MALFORMED_JSON', async () => {
        const before = await rows();
        const response = await api().post(`/api/tenants/${tenantId}/license`).set(auth(operator)).set('content-type', 'application/json').send('{"tier":').expect(400);
        expect(response.body.code).toBe('MALFORMED_JSON');
        expect(await rows()).toBe(before);
      });

      it('an unknown tenant → 404, a malformed id → 404', async () => {
        const before = await rows();
        expect((await issue(randomUUID(), { tier: 'pro' }).expect(404)).body.code).toBe('NOT_FOUND');
        expect((await issue('not-a-uuid', { tier: 'pro' }).expect(404)).body.code).toBe('NOT_FOUND');
        expect(await rows()).toBe(before);
      });

      it('a suspended tenant → 409 TENANT_NOT_ACTIVE', async () => {
        const suspended = await createTenant();
        await api().post(`/api/tenants/${suspended.id}/suspend`).set(auth(operator)).expect(200);
        const before = await rows();
        const response = await issue(suspended.id, { tier: 'pro' }).expect(409);
        expect(response.body).toMatchObject({ status: 409, code: 'TENANT_NOT_ACTIVE' });
        expect(await rows()).toBe(before);
      });

      it('a deleted tenant → 404', async () => {
        const deleted = await createTenant();
        await api().delete(`/api/tenants/${deleted.id}`).set(auth(operator)).expect(204);
        await issue(deleted.id, { tier: 'pro' }).expect(404);
      });

      it('a read-only operator → 403, no token → 401', async () => {
        const before = await rows();
        expect((await issue(tenantId, { tier: 'pro' }, reader).expect(403)).body.code).toBe('INSUFFICIENT_SCOPE');
        await api().post(`/api/tenants/${tenantId}/license`).send({ tier: 'pro' }).expect(401);
        expect(await rows()).toBe(before);
      });
    });

    itOnServer('20 concurrent transactions on separate connections')('20 concurrent issues for one tenant leave 20 rows and exactly one CURRENT', async () => {
      const tenant = await createTenant();
      const responses = await Promise.all(Array.from({ length: 20 }, () => issue(tenant.id, { tier: 'starter' })));
      expect(responses.map((response) => response.status)).toEqual(Array(20).fill(201));
      const states = await sql<{ state: string; n: string }>(
        testApp.database.url,
        'SELECT state, count(*) AS n FROM licenses WHERE tenant_id = $1 GROUP BY state ORDER BY state',
        [tenant.id],
      );
      expect(states.map((row) => [row.state, Number(row.n)])).toEqual([
        ['CURRENT', 1],
        ['SUPERSEDED', 19],
      ]);
      const current = await api().get(`/api/tenants/${tenant.id}/license`).set(auth(reader)).expect(200);
      const ids = new Set(responses.map((response) => response.body.id as string));
      expect(ids.size).toBe(20);
      expect(ids.has(current.body.id as string)).toBe(true);
      // The CURRENT one is the last one committed, the newest in the history.
      const history = await api().get(`/api/tenants/${tenant.id}/licenses?pageSize=1`).set(auth(reader)).expect(200);
      expect(history.body.items[0].id).toBe(current.body.id);
    });
  });

  describe('GET /api/tenants/:id/license', () => {
    it('returns the current license with a fresh token: same jti, new iat and exp', async () => {
      const tenant = await createTenant();
      const issued = (await issue(tenant.id, { tier: 'pro' }).expect(201)).body as LicenseBody;
      const first = await verifier.verify(issued.token ?? '');
      // iat counts whole seconds: ask for the fresh token once the clock is past the first one's second.
      await eventually(() => expect(Math.floor(Date.now() / 1000)).toBeGreaterThan(first.claims.iat), { within: 2000 });
      const response = await api().get(`/api/tenants/${tenant.id}/license`).set(auth(reader)).expect(200);
      expect(response.headers['cache-control']).toBe('no-store');
      const current = response.body as LicenseBody;
      expect(current).toMatchObject({ id: issued.id, state: 'CURRENT', status: 'ACTIVE' });
      const fresh = await verifier.verify(current.token ?? '');
      expect(fresh.claims.jti).toBe(first.claims.jti);
      expect(fresh.claims.iat).toBeGreaterThan(first.claims.iat);
      expect(fresh.claims.exp).toBeGreaterThan(first.claims.exp);
    });

    it('answers the usable license only: EXPIRED inside the grace, 404 NO_CURRENT_LICENSE once the grace is over', async () => {
      const tenant = await createTenant();
      const issued = (await issue(tenant.id, { tier: 'pro', graceDays: 14 }).expect(201)).body as LicenseBody;
      const endedDaysAgo = (days: number) =>
        sql(testApp.database.url, `UPDATE licenses SET starts_at = now() - interval '60 days', ends_at = now() - make_interval(days => $2) WHERE id = $1`, [
          issued.id,
          days,
        ]);
      await endedDaysAgo(1);
      const inGrace = await api().get(`/api/tenants/${tenant.id}/license`).set(auth(reader)).expect(200);
      expect(inGrace.body).toMatchObject({ id: issued.id, state: 'CURRENT', status: 'EXPIRED' });
      await expect(verifier.verify((inGrace.body as LicenseBody).token ?? '')).resolves.toMatchObject({ status: 'IN_GRACE' });
      await endedDaysAgo(15);
      expect((await api().get(`/api/tenants/${tenant.id}/license`).set(auth(reader)).expect(404)).body.code).toBe('NO_CURRENT_LICENSE');
      const history = await api().get(`/api/tenants/${tenant.id}/licenses`).set(auth(reader)).expect(200);
      expect(history.body.items).toEqual([expect.objectContaining({ id: issued.id, state: 'CURRENT', status: 'EXPIRED' })]);
    });

    it('is 404 NO_CURRENT_LICENSE before any license, 404 NOT_FOUND for an unknown tenant', async () => {
      const tenant = await createTenant();
      expect((await api().get(`/api/tenants/${tenant.id}/license`).set(auth(reader)).expect(404)).body.code).toBe('NO_CURRENT_LICENSE');
      expect((await api().get(`/api/tenants/${randomUUID()}/license`).set(auth(reader)).expect(404)).body.code).toBe('NOT_FOUND');
      expect((await api().get(`/api/tenants/${randomUUID()}/licenses`).set(auth(reader)).expect(404)).body.code).toBe('NOT_FOUND');
      expect((await api().get(`/api/tenants/${tenant.id}/licenses`).set(auth(reader)).expect(200)).body).toMatchObject({ items: [], total: 0 });
    });
  });

  describe('POST /api/tenants/:id/license/revoke', () => {
    it('revokes the current license (who, when, why); then there is none', async () => {
      const tenant = await createTenant();
      const issued = (await issue(tenant.id, { tier: 'pro' }).expect(201)).body as LicenseBody;
      const response = await api().post(`/api/tenants/${tenant.id}/license/revoke`).set(auth(operator)).send({ reason: 'contract cancelled' }).expect(200);
      expect(response.body).toMatchObject({ id: issued.id, state: 'REVOKED', revokedBy: 'operator:user:op', revokeReason: 'contract cancelled' });
      expect(response.body.token).toBeUndefined();
      expect(Date.now() - Date.parse(response.body.revokedAt as string)).toBeLessThan(60_000);
      expect(events).toContainEqual({ type: 'revoked', tenantId: tenant.id, licenseId: issued.id });

      expect((await api().get(`/api/tenants/${tenant.id}/license`).set(auth(reader)).expect(404)).body.code).toBe('NO_CURRENT_LICENSE');
      const again = await api().post(`/api/tenants/${tenant.id}/license/revoke`).set(auth(operator)).send({ reason: 'twice' }).expect(404);
      expect(again.body.code).toBe('NO_CURRENT_LICENSE');
      const history = await api().get(`/api/tenants/${tenant.id}/licenses`).set(auth(reader)).expect(200);
      expect(history.body.items).toHaveLength(1);
      expect(history.body.items[0]).toMatchObject({ state: 'REVOKED', revokeReason: 'contract cancelled' });
    });

    it.each([
      ['no reason', {}],
      ['an empty reason', { reason: '' }],
      ['a blank reason', { reason: '   ' }],
      ['a reason over 500 characters', { reason: 'x'.repeat(501) }],
      ['a reason of the wrong type', { reason: 42 }],
      ['an extra field', { reason: 'ok', force: true }],
    ])('refuses %s with 400 and keeps the license', async (_name, body) => {
      const tenant = await createTenant();
      await issue(tenant.id, { tier: 'free' }).expect(201);
      const response = await api().post(`/api/tenants/${tenant.id}/license/revoke`).set(auth(operator)).send(body).expect(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      await api().get(`/api/tenants/${tenant.id}/license`).set(auth(reader)).expect(200);
    });

    it('needs platform:write', async () => {
      const tenant = await createTenant();
      await issue(tenant.id, { tier: 'free' }).expect(201);
      await api().post(`/api/tenants/${tenant.id}/license/revoke`).set(auth(reader)).send({ reason: 'nope' }).expect(403);
      await api().get(`/api/tenants/${tenant.id}/license`).set(auth(reader)).expect(200);
    });
  });

  describe('tenant isolation', () => {
    it("lets a member read its own tenant's license and answers 404 for another tenant's", async () => {
      const a = await createTenant();
      const b = await createTenant();
      await issue(a.id, { tier: 'pro' }).expect(201);
      await issue(b.id, { tier: 'enterprise' }).expect(201);
      const member = await logto.idp.mintUserToken({ sub: 'member-a', organizationId: a.logtoOrganizationId, scopes: ['tenant:read'] });

      const own = await api().get(`/api/tenants/${a.id}/license`).set(auth(member)).expect(200);
      expect(own.body).toMatchObject({ tenantId: a.id, tier: 'pro' });
      await api().get(`/api/tenants/${a.id}/licenses`).set(auth(member)).expect(200);

      for (const path of [`/api/tenants/${b.id}/license`, `/api/tenants/${b.id}/licenses`]) {
        const response = await api().get(path).set(auth(member)).expect(404);
        expect(response.body.code).toBe('NOT_FOUND');
        expect(JSON.stringify(response.body)).not.toContain('enterprise');
      }
      // Members never issue or revoke, not even for their own tenant.
      await issue(a.id, { tier: 'enterprise' }, member).expect(403);
      await api().post(`/api/tenants/${a.id}/license/revoke`).set(auth(member)).send({ reason: 'mine' }).expect(403);
    });
  });
});
