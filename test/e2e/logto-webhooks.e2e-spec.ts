import request from 'supertest';
import { logtoSignature } from '@app/logto-webhooks';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, queryDatabase, RunningApp, startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { TestDatabase } from '../support/test-database';

const KEY = 'k'.repeat(8) + 'currentSigningKey000000000';
const PREVIOUS_KEY = 'p'.repeat(8) + 'previousSigningKey00000000';
const MAX_BODY = 4096;

/**
 * POST /api/webhooks/logto, attacked with what a forger or a replayer can send: each refusal is a problem answer
 * and changes nothing (no revocation row, no event); what Logto signs is handled once however often it arrives.
 */
describe('Logto webhook receiver', () => {
  let logto: TenantsIdp;
  let database: TestDatabase;
  let api: RunningApp;

  const webhookEnv = { LOGTO_WEBHOOK_SIGNING_KEY: KEY, LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS: PREVIOUS_KEY, LOGTO_WEBHOOK_MAX_BODY_BYTES: String(MAX_BODY) };
  const send = (app: { server: RunningApp['server'] }, body: string, signature: string | undefined, contentType = 'application/json') => {
    const call = request(app.server).post('/api/webhooks/logto').set('content-type', contentType);
    return (signature === undefined ? call : call.set('logto-signature-sha-256', signature)).send(body);
  };
  const signed = (body: string, key = KEY) => send(api, body, logtoSignature(key, body));
  const counts = async () => {
    const [row] = await queryDatabase<{ revocations: string; events: string }>(
      database.url,
      `SELECT (SELECT count(*) FROM principal_revocations) AS revocations, (SELECT count(*) FROM event_outbox WHERE type = 'member.removed') AS events`,
    );
    return { revocations: Number(row?.revocations), events: Number(row?.events) };
  };
  /** Logto 1.42's payload for DELETE /organizations/:id/users/:userId (buildWebhooks + the route's context). */
  const removal = (organizationId: string, userId: string) =>
    JSON.stringify({
      event: 'Organization.Membership.Updated',
      createdAt: new Date().toISOString(),
      userAgent: 'test',
      ip: '127.0.0.1',
      path: `/organizations/${organizationId}/users/${userId}`,
      method: 'DELETE',
      status: 204,
      params: { id: organizationId, userId },
      matchedRoute: '/organizations/:id/users/:userId',
      organizationId,
      removedUserIds: [userId],
      hookId: 'hook1',
    });

  beforeAll(async () => {
    logto = await startTenantsIdp();
    database = await createTestDatabase();
    api = await startAppOn(database, logto.env(webhookEnv));
  });
  afterAll(async () => {
    await api?.close();
    await database?.drop();
    await logto?.stop();
  });

  it.each([
    ['no signature header', () => send(api, removal('org1', 'u1'), undefined)],
    ['a forged signature', () => send(api, removal('org1', 'u1'), 'f'.repeat(64))],
    ['a signature that is not hex', () => send(api, removal('org1', 'u1'), 'not-a-signature')],
    ['a signature under another key', () => signed(removal('org1', 'u1'), 'w'.repeat(32))],
    ['a body changed after signing', () => send(api, removal('org1', 'u2'), logtoSignature(KEY, removal('org1', 'u1')))],
  ])('%s → 401 problem, nothing done', async (_label, attempt) => {
    const before = await counts();
    const response = await attempt();
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 401, code: 'INVALID_SIGNATURE' });
    expect(await counts()).toEqual(before);
  });

  it('a body over LOGTO_WEBHOOK_MAX_BODY_BYTES → 413 before the signature is looked at', async () => {
    const before = await counts();
    const body = JSON.stringify({ event: 'Organization.Membership.Updated', padding: 'x'.repeat(MAX_BODY) });
    for (const signature of [logtoSignature(KEY, body), undefined]) {
      const response = await send(api, body, signature);
      expect(response.status).toBe(413);
      expect(response.body).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    }
    expect(await counts()).toEqual(before);
  });

  it.each([
    ['not JSON', '{"event": "Organization.Membership.Updated",'],
    ['JSON that is no payload', '[1, 2, 3]'],
    ['no event', '{"params": {}}'],
    ['removedUserIds that are no ids', JSON.stringify({ event: 'Organization.Membership.Updated', organizationId: 'org1', removedUserIds: [42] })],
    ['no organization', JSON.stringify({ event: 'Organization.Membership.Updated', removedUserIds: ['u1'] })],
    ['a suspension without isSuspended', JSON.stringify({ event: 'User.SuspensionStatus.Updated', params: { userId: 'u1' }, data: { id: 'u1' } })],
    ['an id longer than any Logto id', JSON.stringify({ event: 'User.Deleted', params: { userId: 'u'.repeat(65) } })],
    ['an id with a path in it', JSON.stringify({ event: 'Organization.Deleted', params: { id: '../users' } })],
    ['a createdAt that is no date', JSON.stringify({ event: 'Organization.Membership.Updated', createdAt: 'yesterday', organizationId: 'org1', removedUserIds: ['u1'] })],
    ['a createdAt that is no string', JSON.stringify({ event: 'Organization.Membership.Updated', createdAt: 1764500000000, organizationId: 'org1', removedUserIds: ['u1'] })],
  ])('%s, correctly signed → 400 problem, nothing done', async (_label, body) => {
    const before = await counts();
    const response = await signed(body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ status: 400, code: 'INVALID_PAYLOAD' });
    expect(await counts()).toEqual(before);
  });

  it('an event it does not handle → 204, ignored', async () => {
    const before = await counts();
    await signed(JSON.stringify({ event: 'User.Created', params: {}, data: { id: 'u9' } })).expect(204);
    await signed(JSON.stringify({ event: 'PostSignIn', userId: 'u9' })).expect(204);
    expect(await counts()).toEqual(before);
  });

  it('accepts both keys while a rotation configures both', async () => {
    await signed(JSON.stringify({ event: 'User.SuspensionStatus.Updated', params: { userId: 'rotated1' }, data: { id: 'rotated1', isSuspended: false } }), KEY).expect(204);
    await signed(JSON.stringify({ event: 'User.SuspensionStatus.Updated', params: { userId: 'rotated2' }, data: { id: 'rotated2', isSuspended: false } }), PREVIOUS_KEY).expect(204);
  });

  it('the same removal delivered twice (or replayed) gives one member.removed event', async () => {
    const operator = await logto.operatorToken();
    const tenant = await request(api.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug: 'replayed', name: 'Replayed' }).expect(201);
    const organizationId = tenant.body.logtoOrganizationId as string;
    const body = removal(organizationId, 'member1');
    await signed(body).expect(204);
    await signed(body).expect(204);
    const events = await queryDatabase<{ data: Record<string, unknown> }>(database.url, `SELECT data FROM event_outbox WHERE type = 'member.removed' AND tenant_id = $1`, [tenant.body.id]);
    expect(events).toEqual([{ data: { tenantId: tenant.body.id, organizationId, userId: 'member1', source: 'logto-webhook' } }]);
  });

  it('a removal before Logto 1.42 (no removedUserIds) is read from the DELETE route’s params', async () => {
    const operator = await logto.operatorToken();
    const tenant = await request(api.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug: 'older-logto', name: 'Older Logto' }).expect(201);
    const organizationId = tenant.body.logtoOrganizationId as string;
    const payload = JSON.parse(removal(organizationId, 'member2')) as Record<string, unknown>;
    delete payload.removedUserIds;
    await signed(JSON.stringify(payload)).expect(204);
    const events = await queryDatabase(database.url, `SELECT 1 FROM event_outbox WHERE type = 'member.removed' AND tenant_id = $1`, [tenant.body.id]);
    expect(events).toHaveLength(1);
  });

  it('a deleted or suspended user is revoked everywhere; lifting a suspension revokes nothing', async () => {
    await signed(JSON.stringify({ event: 'User.Deleted', method: 'DELETE', params: { userId: 'gone1' }, data: { id: 'gone1' } })).expect(204);
    await signed(JSON.stringify({ event: 'User.SuspensionStatus.Updated', params: { userId: 'held1' }, data: { id: 'held1', isSuspended: true } })).expect(204);
    await signed(JSON.stringify({ event: 'User.SuspensionStatus.Updated', params: { userId: 'free1' }, data: { id: 'free1', isSuspended: false } })).expect(204);
    const rows = await queryDatabase<{ user_id: string; reason: string; organization_id: string | null }>(
      database.url,
      `SELECT user_id, reason, organization_id FROM principal_revocations WHERE user_id IN ('gone1', 'held1', 'free1') ORDER BY user_id`,
    );
    expect(rows).toEqual([
      { user_id: 'gone1', reason: 'user_deleted', organization_id: null },
      { user_id: 'held1', reason: 'user_suspended', organization_id: null },
    ]);
  });

  it('Logto down when an organization event needs a check → 503 problem with Retry-After, tenant untouched; the drift pass checks again', async () => {
    const operator = await logto.operatorToken();
    const tenant = await request(api.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug: 'logto-down', name: 'Logto Down' }).expect(201);
    await logto.idp.setFault('down', { target: 'management' });
    try {
      const response = await signed(JSON.stringify({ event: 'Organization.Deleted', method: 'DELETE', params: { id: tenant.body.logtoOrganizationId } }));
      expect(response.status).toBe(503);
      expect(response.body).toMatchObject({ status: 503, code: 'LOGTO_UNAVAILABLE' });
      expect(response.headers['retry-after']).toBeDefined();
    } finally {
      await logto.idp.setFault('none');
    }
    const after = await request(api.server).get(`/api/tenants/${tenant.body.id as string}`).auth(operator, { type: 'bearer' }).expect(200);
    expect(after.body).toMatchObject({ status: 'ACTIVE', logtoOrganizationId: tenant.body.logtoOrganizationId });
  });

  describe('rate limit', () => {
    let limited: RunningApp;
    beforeAll(async () => {
      limited = await startAppOn(database, logto.env({ ...webhookEnv, LOGTO_WEBHOOK_RATE_LIMIT_MAX: '3' }));
    });
    afterAll(() => limited?.close());

    it('past LOGTO_WEBHOOK_RATE_LIMIT_MAX per window a client is refused 429 before anything is checked', async () => {
      const before = await counts();
      const body = JSON.stringify({ event: 'User.Deleted', params: { userId: 'throttled1' } });
      for (let attempt = 0; attempt < 3; attempt++) {
        await send(limited, body, 'f'.repeat(64)).expect(401);
      }
      const refused = await send(limited, body, logtoSignature(KEY, body));
      expect(refused.status).toBe(429);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await counts()).toEqual(before);
    });
  });

  describe('without LOGTO_WEBHOOK_SIGNING_KEY', () => {
    let unconfigured: TestApp;
    beforeAll(async () => {
      unconfigured = await startTestApp();
    });
    afterAll(() => unconfigured?.close());

    it('accepts nothing: 404 whatever the signature', async () => {
      const body = JSON.stringify({ event: 'User.Deleted', params: { userId: 'u1' } });
      for (const signature of [undefined, logtoSignature('', body), logtoSignature(KEY, body)]) {
        const response = await send(unconfigured, body, signature);
        expect(response.status).toBe(404);
        expect(response.body).toMatchObject({ status: 404, code: 'WEBHOOK_NOT_CONFIGURED' });
      }
    });
  });
});
