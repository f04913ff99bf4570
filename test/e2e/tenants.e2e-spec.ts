import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { IdempotencyStore } from '@app/service-core';
import { TenantEvent, TenantEvents } from '@app/tenants';
import { startTestApp, TestApp } from '../support/test-app';
import { eventually } from '../support/eventually';
import { queryDatabase, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';

/** Tenants over HTTP against the dev IdP: CRUD, validation, isolation, status transitions, ETags, idempotency. */
describe('tenants API', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;
  let reader: string;
  const events: TenantEvent[] = [];

  const api = () => request(testApp.server);
  const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
  const tenantRows = async (): Promise<number> =>
    Number((await queryDatabase<{ n: string }>(testApp.database.url, 'SELECT count(*) AS n FROM tenants'))[0]?.n);

  const create = async (body: Record<string, unknown>, token = operator) =>
    api().post('/api/tenants').set('authorization', `Bearer ${token}`).send(body);

  const createActive = async (slug = unique('t'), extra: Record<string, unknown> = {}) => {
    const response = await create({ slug, name: `Tenant ${slug}`, ...extra });
    expect(response.status).toBe(201);
    return response.body as { id: string; slug: string; name: string; logtoOrganizationId: string; version: number };
  };

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    testApp = await startTestApp(logto.env());
    testApp.app.get(TenantEvents).on((event) => events.push(event));
    operator = await logto.operatorToken();
    reader = await logto.operatorToken(['platform:read']);
  });

  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  describe('POST /api/tenants', () => {
    it('creates the tenant and its organization (customData, name), answering 201 with Location and ETag', async () => {
      const slug = unique('acme');
      const response = await create({ slug, name: '  Acme Corp  ' });
      expect(response.status).toBe(201);
      expect(response.body).toMatchObject({ slug, name: 'Acme Corp', status: 'ACTIVE', ownerUserId: null, deletedAt: null });
      expect(response.headers.location).toBe(`/api/tenants/${response.body.id}`);
      expect(response.headers.etag).toBe(`W/"${response.body.version}"`);
      const organization = await logto.admin<{ name: string; customData: unknown }>('GET', `/organizations/${response.body.logtoOrganizationId}`);
      expect(organization).toMatchObject({ name: 'Acme Corp', customData: { tenantId: response.body.id, slug, provisioningMarker: expect.any(String) } });
    });

    it('adds the owner to the organization with the owner role', async () => {
      const carol = await logto.createUser('carol');
      const tenant = await createActive(unique('owned'), { ownerUserId: carol });
      const members = await logto.admin<{ id: string; organizationRoles: { name: string }[] }[]>('GET', `/organizations/${tenant.logtoOrganizationId}/users`);
      expect(members).toEqual([expect.objectContaining({ id: carol, organizationRoles: [expect.objectContaining({ name: 'owner' })] })]);
    });

    it('refuses a taken slug with 409 SLUG_TAKEN, also after the tenant was deleted', async () => {
      const tenant = await createActive();
      const again = await create({ slug: tenant.slug, name: 'Other' });
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('SLUG_TAKEN');
      await api().delete(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).expect(204);
      const afterDelete = await create({ slug: tenant.slug, name: 'Other' });
      expect(afterDelete.status).toBe(409);
      expect(afterDelete.body.code).toBe('SLUG_TAKEN');
    });

    const badSlugs: [string, unknown][] = [
      ['too short', 'ab'],
      ['too long', 'a'.repeat(64)],
      ['uppercase', 'Acme-corp'],
      ['underscore', 'acme_corp'],
      ['dot', 'acme.corp'],
      ['space', 'acme corp'],
      ['non-ASCII', 'acmé-corp'],
      ['leading hyphen', '-acme'],
      ['trailing hyphen', 'acme-'],
      ['IDN-reserved hyphens', 'xn--acme'],
      ['reserved (api)', 'api'],
      ['reserved (admin)', 'admin'],
      ['reserved (www)', 'www'],
      ['reserved (logto)', 'logto'],
      ['reserved (traefik)', 'traefik'],
      ['reserved (app)', 'app'],
      ['reserved (auth)', 'auth'],
      ['reserved (cameleer)', 'cameleer'],
      ['not a string', 12345],
      ['null', null],
      ['missing', undefined],
    ];
    it.each(badSlugs)('refuses a bad slug (%s) with 400 and writes nothing', async (_label, slug) => {
      const before = await tenantRows();
      const response = await create({ slug, name: 'Valid Name' });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field: 'slug' })] });
      expect(await tenantRows()).toBe(before);
    });

    const badBodies: [string, Record<string, unknown>, string][] = [
      ['empty name', { name: '' }, 'name'],
      ['blank name', { name: '   ' }, 'name'],
      ['long name', { name: 'n'.repeat(129) }, 'name'],
      ['control character in name', { name: 'bad\u0007name' }, 'name'],
      ['newline in name', { name: 'two\nlines' }, 'name'],
      ['numeric name', { name: 42 }, 'name'],
      ['bad ownerUserId', { name: 'Valid', ownerUserId: 'not a user id' }, 'ownerUserId'],
      ['numeric ownerUserId', { name: 'Valid', ownerUserId: 7 }, 'ownerUserId'],
      ['unknown field', { name: 'Valid', plan: 'gold' }, 'plan'],
    ];
    it.each(badBodies)('refuses a bad body (%s) with 400 and writes nothing', async (_label, body, field) => {
      const before = await tenantRows();
      const response = await create({ slug: unique('v'), ...body });
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect((response.body.errors as { field: string }[]).map((error) => error.field)).toContain(field);
      expect(await tenantRows()).toBe(before);
    });

    it('accepts a name of exactly 128 characters and a 63-character slug', async () => {
      await createActive('s'.repeat(63), { name: 'n'.repeat(128) });
    });

    it('answers a text/plain body with 415', async () => {
      const response = await api()
        .post('/api/tenants')
        .set('authorization', `Bearer ${operator}`)
        .set('content-type', 'text/plain')
        .send('slug=acme');
      expect(response.status).toBe(415);
    });

    it('needs platform:write', async () => {
      const response = await create({ slug: unique('r'), name: 'Reader' }, reader);
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('INSUFFICIENT_SCOPE');
      await api().post('/api/tenants').send({ slug: unique('anon'), name: 'Anon' }).expect(401);
    });
  });

  describe('Idempotency-Key', () => {
    it('replays the first response for the same key and body, creating one tenant', async () => {
      const key = randomUUID();
      const slug = unique('idem');
      const first = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).set('idempotency-key', key).send({ slug, name: 'Idem' });
      expect(first.status).toBe(201);
      const replay = await api()
        .post('/api/tenants')
        .set('authorization', `Bearer ${operator}`)
        .set('idempotency-key', key)
        .send({ name: 'Idem', slug });
      expect(replay.status).toBe(201);
      expect(replay.body).toEqual(first.body);
      expect(replay.headers.location).toBe(first.headers.location);
      expect(replay.headers.etag).toBe(first.headers.etag);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      const rows = await queryDatabase(testApp.database.url, 'SELECT id FROM tenants WHERE slug = $1', [slug]);
      expect(rows).toHaveLength(1);
    });

    it('refuses the same key with another body: 422 IDEMPOTENCY_KEY_REUSED', async () => {
      const key = randomUUID();
      await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).set('idempotency-key', key).send({ slug: unique('k'), name: 'K' }).expect(201);
      const reused = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).set('idempotency-key', key).send({ slug: unique('k'), name: 'K' });
      expect(reused.status).toBe(422);
      expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    });

    it('scopes keys to the caller', async () => {
      const key = randomUUID();
      await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).set('idempotency-key', key).send({ slug: unique('c'), name: 'C' }).expect(201);
      const otherOperator = await logto.idp.mintUserToken({ sub: 'op2', scopes: ['platform:read', 'platform:write'] });
      const other = await api().post('/api/tenants').set('authorization', `Bearer ${otherOperator}`).set('idempotency-key', key).send({ slug: unique('c'), name: 'C' });
      expect(other.status).toBe(201);
      expect(other.headers['idempotent-replayed']).toBeUndefined();
    });

    it('answers a duplicate while the first request is in flight with 409 IDEMPOTENCY_IN_PROGRESS, then replays', async () => {
      const key = randomUUID();
      const body = { slug: unique('slow'), name: 'Slow' };
      // Logto answers, slowly: the first request holds the key for a while.
      await logto.idp.setFault('slow', { delayMs: 700, target: 'management' });
      try {
        const first = api().post('/api/tenants').set('authorization', `Bearer ${operator}`).set('idempotency-key', key).send(body).then((r) => r);
        // Sent once the first request holds the key (its row exists), while Logto still delays it.
        await eventually(
          async () => expect(await queryDatabase(testApp.database.url, 'SELECT 1 FROM idempotency_keys WHERE idempotency_key = $1', [key])).toHaveLength(1),
          { within: 5000 },
        );
        const duplicate = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).set('idempotency-key', key).send(body);
        expect(duplicate.status).toBe(409);
        expect(duplicate.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
        const firstResponse = await first;
        expect([201, 202]).toContain(firstResponse.status);
        await logto.idp.setFault('none');
        const replay = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).set('idempotency-key', key).send(body);
        expect(replay.status).toBe(firstResponse.status);
        expect(replay.body.id).toBe(firstResponse.body.id);
      } finally {
        await logto.idp.setFault('none');
      }
    });

    it('forgets expired keys: the key runs again, and purging removes expired rows', async () => {
      const key = randomUUID();
      await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).set('idempotency-key', key).send({ slug: unique('exp'), name: 'E' }).expect(201);
      await queryDatabase(testApp.database.url, `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE idempotency_key = $1`, [key]);
      const fresh = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).set('idempotency-key', key).send({ slug: unique('exp'), name: 'E2' });
      expect(fresh.status).toBe(201);
      expect(fresh.headers['idempotent-replayed']).toBeUndefined();
      await queryDatabase(testApp.database.url, `UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE idempotency_key = $1`, [key]);
      expect(await testApp.app.get(IdempotencyStore).purgeExpired()).toBeGreaterThanOrEqual(1);
      expect(await queryDatabase(testApp.database.url, 'SELECT 1 FROM idempotency_keys WHERE idempotency_key = $1', [key])).toEqual([]);
    });

    it.each([
      ['empty', ''],
      ['too long', 'k'.repeat(256)],
      ['space', 'has space'],
      ['non-ASCII', 'schlüssel'],
    ])('refuses a malformed key (%s) with 400', async (_label, key) => {
      const before = await tenantRows();
      const response = await api()
        .post('/api/tenants')
        .set('authorization', `Bearer ${operator}`)
        .set('idempotency-key', key)
        .send({ slug: unique('bad-key'), name: 'Bad key' });
      expect(response.status).toBe(400);
      expect(await tenantRows()).toBe(before);
    });

    it('accepts a 255-character key', async () => {
      await api()
        .post('/api/tenants')
        .set('authorization', `Bearer ${operator}`)
        .set('idempotency-key', 'k'.repeat(255))
        .send({ slug: unique('long-key'), name: 'Long key' })
        .expect(201);
    });
  });

  describe('GET /api/tenants', () => {
    it('lists with paging, status and a case-insensitive q on slug or name (LIKE characters escaped)', async () => {
      const marker = randomUUID().slice(0, 6);
      const a = await createActive(`list-${marker}-a`);
      await createActive(`list-${marker}-b`, { name: `Percent 100% ${marker}` });
      const page = await api().get(`/api/tenants?q=LIST-${marker}&pageSize=1&page=2`).set('authorization', `Bearer ${reader}`).expect(200);
      expect(page.body).toMatchObject({ total: 2, page: 2, pageSize: 1 });
      expect(page.body.items).toHaveLength(1);
      const percent = await api().get(`/api/tenants?q=${encodeURIComponent(`100% ${marker}`)}`).set('authorization', `Bearer ${reader}`).expect(200);
      expect((percent.body.items as { slug: string }[]).map((t) => t.slug)).toEqual([`list-${marker}-b`]);
      const wildcard = await api().get(`/api/tenants?q=${encodeURIComponent(`list_${marker}`)}`).set('authorization', `Bearer ${reader}`).expect(200);
      expect(wildcard.body.total).toBe(0);
      await api().delete(`/api/tenants/${a.id}`).set('authorization', `Bearer ${operator}`).expect(204);
      const active = await api().get(`/api/tenants?q=list-${marker}`).set('authorization', `Bearer ${reader}`).expect(200);
      expect(active.body.total).toBe(1);
      const deleted = await api().get(`/api/tenants?q=list-${marker}&status=DELETED`).set('authorization', `Bearer ${reader}`).expect(200);
      expect((deleted.body.items as { id: string }[]).map((t) => t.id)).toEqual([a.id]);
    });

    it('validates the query', async () => {
      await api().get('/api/tenants?status=GONE').set('authorization', `Bearer ${reader}`).expect(400);
      await api().get('/api/tenants?pageSize=101').set('authorization', `Bearer ${reader}`).expect(400);
      await api().get('/api/tenants?page=0').set('authorization', `Bearer ${reader}`).expect(400);
    });
  });

  describe('isolation', () => {
    let a: { id: string; logtoOrganizationId: string };
    let b: { id: string; logtoOrganizationId: string };

    beforeAll(async () => {
      a = await createActive(unique('iso-a'));
      b = await createActive(unique('iso-b'));
    });

    it('lets a member of A with tenant:read read A (without sync details), and answers 404 for B', async () => {
      const alice = await logto.idp.mintUserToken({ sub: 'alice', organizationId: a.logtoOrganizationId, scopes: ['tenant:read'] });
      const own = await api().get(`/api/tenants/${a.id}`).set('authorization', `Bearer ${alice}`).expect(200);
      expect(own.body.id).toBe(a.id);
      expect(own.body.sync).toBeUndefined();
      const other = await api().get(`/api/tenants/${b.id}`).set('authorization', `Bearer ${alice}`);
      expect(other.status).toBe(404);
      await api().get(`/api/tenants/${randomUUID()}`).set('authorization', `Bearer ${alice}`).expect(404);
      await api().get('/api/tenants').set('authorization', `Bearer ${alice}`).expect(403);
    });

    it('answers 403 to a member bound to A without the scope, 404 to a plain token without an organization', async () => {
      const noScope = await logto.idp.mintUserToken({ sub: 'bob', organizationId: a.logtoOrganizationId, scopes: [] });
      const forbidden = await api().get(`/api/tenants/${a.id}`).set('authorization', `Bearer ${noScope}`);
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.code).toBe('INSUFFICIENT_SCOPE');
      const plain = await logto.idp.mintUserToken({ sub: 'bob', scopes: ['tenant:read'] });
      await api().get(`/api/tenants/${a.id}`).set('authorization', `Bearer ${plain}`).expect(404);
    });

    it('lets a tenant admin rename their tenant, but not suspend or resume it (403, nothing written)', async () => {
      const admin = await logto.idp.mintUserToken({ sub: 'dave', organizationId: a.logtoOrganizationId, scopes: ['tenant:admin', 'tenant:read'] });
      const renamed = await api().patch(`/api/tenants/${a.id}`).set('authorization', `Bearer ${admin}`).send({ name: 'Renamed by admin' }).expect(200);
      expect(renamed.body.name).toBe('Renamed by admin');
      const organization = await logto.admin<{ name: string }>('GET', `/organizations/${a.logtoOrganizationId}`);
      expect(organization.name).toBe('Renamed by admin');
      for (const action of ['suspend', 'resume']) {
        const refused = await api().post(`/api/tenants/${a.id}/${action}`).set('authorization', `Bearer ${admin}`);
        expect(refused.status).toBe(403);
        expect(refused.body.code).toBe('INSUFFICIENT_SCOPE');
      }
      // A status in PATCH is not a field PATCH has, whoever sends it.
      const both = await api().patch(`/api/tenants/${a.id}`).set('authorization', `Bearer ${admin}`).send({ name: 'Sneaky', status: 'SUSPENDED' });
      expect(both.status).toBe(400);
      expect(both.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ field: 'status' })] });
      const after = await api().get(`/api/tenants/${a.id}`).set('authorization', `Bearer ${reader}`).expect(200);
      expect(after.body).toMatchObject({ name: 'Renamed by admin', status: 'ACTIVE', version: renamed.body.version });
      // An admin of A cannot touch B.
      await api().patch(`/api/tenants/${b.id}`).set('authorization', `Bearer ${admin}`).send({ name: 'Hijack' }).expect(404);
      // Deleting needs platform:write.
      await api().delete(`/api/tenants/${a.id}`).set('authorization', `Bearer ${admin}`).expect(403);
    });
  });

  describe('PATCH, suspend, resume and DELETE', () => {
    const post = (tenantId: string, action: 'suspend' | 'resume') => api().post(`/api/tenants/${tenantId}/${action}`).set('authorization', `Bearer ${operator}`);

    it('suspends and resumes (ETag changes, events fire); repeating one changes nothing; other statuses are 409', async () => {
      const tenant = await createActive();
      events.length = 0;
      const suspended = await post(tenant.id, 'suspend').expect(200);
      expect(suspended.body.status).toBe('SUSPENDED');
      expect(suspended.headers.etag).toBe(`W/"${suspended.body.version}"`);
      expect(suspended.body.version).toBeGreaterThan(tenant.version);
      expect(suspended.body.sync).toBeDefined();
      expect(events).toContainEqual(expect.objectContaining({ type: 'status-changed', tenantId: tenant.id, from: 'ACTIVE', to: 'SUSPENDED' }));
      events.length = 0;
      const again = await post(tenant.id, 'suspend').expect(200);
      expect(again.body).toMatchObject({ status: 'SUSPENDED', version: suspended.body.version });
      expect(events).toEqual([]);
      const resumed = await post(tenant.id, 'resume').expect(200);
      expect(resumed.body.status).toBe('ACTIVE');
      expect(resumed.body.version).toBeGreaterThan(suspended.body.version);
      expect(events).toContainEqual(expect.objectContaining({ type: 'status-changed', tenantId: tenant.id, from: 'SUSPENDED', to: 'ACTIVE' }));
      const resumedAgain = await post(tenant.id, 'resume').expect(200);
      expect(resumedAgain.body).toMatchObject({ status: 'ACTIVE', version: resumed.body.version });

      // A PROVISIONING tenant is refused the same way (tenants-logto.e2e-spec).
      await api().delete(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).expect(204);
      for (const action of ['suspend', 'resume'] as const) {
        const refused = await post(tenant.id, action);
        expect(refused.status).toBe(409);
        expect(refused.body.code).toBe('INVALID_STATUS_TRANSITION');
      }
      await post(randomUUID(), 'suspend').expect(404);
      await post('not-a-uuid', 'resume').expect(404);
    });

    it('refuses a status in PATCH, and any field but name, with 400 in the problem shape', async () => {
      const tenant = await createActive();
      for (const body of [{ status: 'SUSPENDED' }, { name: 'Renamed', status: 'ACTIVE' }]) {
        const refused = await api().patch(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).send(body);
        expect(refused.status).toBe(400);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(refused.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: expect.arrayContaining([expect.objectContaining({ field: 'status' })]) });
      }
      await api().patch(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).send({ name: null }).expect(400);
      await api().patch(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).send({}).expect(400);
      await api().patch(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).send({ slug: 'new-slug' }).expect(400);
      const after = await api().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${reader}`).expect(200);
      expect(after.body).toMatchObject({ status: 'ACTIVE', name: tenant.name, version: tenant.version });
    });

    it('suspends and resumes under If-Match: a stale one is 412 and writes nothing', async () => {
      const tenant = await createActive();
      const etag = `W/"${tenant.version}"`;
      const suspended = await post(tenant.id, 'suspend').set('if-match', etag).expect(200);
      const stale = await post(tenant.id, 'resume').set('if-match', etag);
      expect(stale.status).toBe(412);
      expect(stale.body.code).toBe('PRECONDITION_FAILED');
      const after = await api().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${reader}`).expect(200);
      expect(after.body.status).toBe('SUSPENDED');
      await post(tenant.id, 'resume').set('if-match', suspended.headers.etag as string).expect(200);
    });

    it('refuses a stale If-Match with 412 and writes nothing; a current one succeeds', async () => {
      const tenant = await createActive();
      const current = await api().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${reader}`).expect(200);
      const etag = current.headers.etag as string;
      const renamed = await api().patch(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).set('if-match', etag).send({ name: 'First' }).expect(200);
      const stale = await api().patch(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).set('if-match', etag).send({ name: 'Second' });
      expect(stale.status).toBe(412);
      expect(stale.body.code).toBe('PRECONDITION_FAILED');
      const after = await api().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${reader}`).expect(200);
      expect(after.body.name).toBe('First');
      expect(after.headers.etag).toBe(renamed.headers.etag);
      await api().delete(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).set('if-match', etag).expect(412);
      await api().delete(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).set('if-match', after.headers.etag as string).expect(204);
    });

    it('soft-deletes: 204, organization and members kept (until the purge), operators still see it DELETED, members get 404', async () => {
      const tenant = await createActive();
      const member = await logto.idp.mintUserToken({ sub: 'erin', organizationId: tenant.logtoOrganizationId, scopes: ['tenant:read'] });
      await api().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${member}`).expect(200);
      events.length = 0;
      await api().delete(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).expect(204);
      expect(events).toContainEqual(expect.objectContaining({ type: 'deleted', tenantId: tenant.id, organizationId: tenant.logtoOrganizationId }));
      await expect(logto.admin('GET', `/organizations/${tenant.logtoOrganizationId}`)).resolves.toMatchObject({ id: tenant.logtoOrganizationId });
      const seen = await api().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${reader}`).expect(200);
      expect(seen.body).toMatchObject({ status: 'DELETED', deletedAt: expect.any(String), sync: expect.objectContaining({ pendingAction: null }) });
      await api().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${member}`).expect(404);
      await api().delete(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).expect(204);
      const patch = await api().patch(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).send({ name: 'Zombie' });
      expect(patch.status).toBe(409);
    });

    it('deletes a tenant whose organization is already gone in Logto (nothing to do there until the purge)', async () => {
      const tenant = await createActive();
      await logto.admin('DELETE', `/organizations/${tenant.logtoOrganizationId}`);
      await api().delete(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${operator}`).expect(204);
      const seen = await api().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${reader}`).expect(200);
      expect(seen.body.sync).toMatchObject({ pendingAction: null, lastError: null });
    });

    it('answers 404 for unknown and malformed ids', async () => {
      await api().get(`/api/tenants/${randomUUID()}`).set('authorization', `Bearer ${reader}`).expect(404);
      await api().get('/api/tenants/not-a-uuid').set('authorization', `Bearer ${reader}`).expect(404);
      await api().patch(`/api/tenants/${randomUUID()}`).set('authorization', `Bearer ${operator}`).send({ name: 'X' }).expect(404);
      await api().delete(`/api/tenants/${randomUUID()}`).set('authorization', `Bearer ${operator}`).expect(404);
    });
  });
});
