import { createServer, IncomingMessage, Server } from 'node:http';
import request from 'supertest';
import { eventually } from '../support/eventually';
import { requiresServer, TestDatabase } from '../support/test-database';
import { createTestDatabase, queryDatabase, RunningApp, startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';

const BASE = 'readd.cameleer.test';

/** A delivery as the dev IdP sent it: the exact body and Logto's signature header, to be replayed as they were. */
interface Delivery {
  readonly body: string;
  readonly signature: string;
}

function readBody(incoming: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    incoming.on('error', reject);
  });
}

/**
 * Waits for the next whole second: a token's iat has whole seconds, and one issued in the second of a revocation is
 * refused with it (REVOCATION_CLOCK_SKEW_SECONDS is 0 here). Not a duration asserted: a precondition of "issued after".
 */
async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
}

/**
 * Issue 16: a member removed, re-added and removed again gets a second `member.removed` event (the data plane learns
 * of each removal), while the same removal reported twice — replayed, or late — still gives one. Through the dev
 * IdP's webhook, relayed by a recorder that keeps each signed delivery so the test can replay it byte for byte.
 */
describe('a member removed, re-added and removed again', () => {
  const onServer = requiresServer('the dev IdP delivering webhooks to a running app');
  let logto: TenantsIdp;
  let database: TestDatabase;
  let app: RunningApp;
  let relay: Server;
  let operator: string;
  let hookId: string;
  const deliveries: Delivery[] = [];

  beforeAll(async () => {
    if (!onServer) {
      return;
    }
    logto = await startTenantsIdp();
    database = await createTestDatabase();
    const hook = await logto.admin<{ id: string; signingKey: string }>('POST', '/hooks', {
      name: 'cameleer',
      events: ['Organization.Membership.Updated'],
      config: { url: 'http://127.0.0.1:9/unused' },
    });
    app = await startAppOn(database, logto.env({ TENANT_BASE_DOMAIN: BASE, LOGTO_WEBHOOK_SIGNING_KEY: hook.signingKey, REVOCATION_CLOCK_SKEW_SECONDS: '0' }));
    const { port } = app.server.address() as { port: number };
    // The recorder: hands each delivery to the API as it came, then keeps it.
    relay = createServer((incoming, outgoing) => {
      void (async () => {
        const body = await readBody(incoming);
        const signature = String(incoming.headers['logto-signature-sha-256'] ?? '');
        const answer = await fetch(`http://127.0.0.1:${port}/api/webhooks/logto`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'logto-signature-sha-256': signature },
          body,
        });
        // Recorded once the API answered: a recorded delivery is a handled one.
        deliveries.push({ body, signature });
        outgoing.writeHead(answer.status).end();
      })().catch(() => outgoing.writeHead(502).end());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayPort = (relay.address() as { port: number }).port;
    await logto.admin('PATCH', `/hooks/${hook.id}`, { config: { url: `http://127.0.0.1:${relayPort}/` } });
    hookId = hook.id;
    operator = await logto.operatorToken();
  });
  afterAll(async () => {
    await new Promise((resolve) => (relay === undefined ? resolve(undefined) : relay.close(resolve)));
    await app?.close();
    await database?.drop();
    await logto?.stop();
  });

  const createTenant = async (slug: string) => {
    const created = await request(app.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug, name: slug }).expect(201);
    return { id: created.body.id as string, organizationId: created.body.logtoOrganizationId as string };
  };
  const removalsOf = async (userId: string) => {
    const events = await request(app.server).get('/api/events').query({ limit: 500 }).auth(operator, { type: 'bearer' }).expect(200);
    return (events.body.items as { type: string; data: { userId: string; source: string } }[]).filter((event) => event.type === 'member.removed' && event.data.userId === userId);
  };
  const auditedRemovals = async (userId: string) =>
    (await queryDatabase<{ n: string }>(database.url, `SELECT count(*) AS n FROM audit_events WHERE action = 'member.removed' AND target_id = $1`, [userId]))[0]?.n;
  const readdedAt = async (organizationId: string, userId: string) =>
    (await queryDatabase<{ readded_at: Date | null }>(database.url, `SELECT readded_at FROM principal_revocations WHERE organization_id = $1 AND user_id = $2`, [organizationId, userId]))[0]
      ?.readded_at ?? null;
  const deliveriesFor = (userId: string) => deliveries.filter((delivery) => delivery.body.includes(`"${userId}"`));
  const replay = (delivery: Delivery) =>
    request(app.server).post('/api/webhooks/logto').set('content-type', 'application/json').set('logto-signature-sha-256', delivery.signature).send(delivery.body).expect(204);

  (onServer ? it : it.skip)('two removals give two member.removed events; every delivery replayed gives none more; the new token works, the old one stays refused', async () => {
    const tenant = await createTenant('twice-removed');
    const userId = await logto.createUser('member');
    const guard = (token: string) => request(app.server).get(`/api/tenants/${tenant.id}`).auth(token, { type: 'bearer' });
    await logto.admin('POST', `/organizations/${tenant.organizationId}/users`, { userIds: [userId] });
    const old = await logto.idp.mintUserToken({ sub: userId, organizationId: tenant.organizationId, scopes: ['tenant:read'] });
    await guard(old).expect(200);

    await logto.admin('DELETE', `/organizations/${tenant.organizationId}/users/${userId}`);
    await eventually(async () => expect(await removalsOf(userId)).toHaveLength(1), { within: 1000 });
    await guard(old).expect(401);

    await logto.admin('POST', `/organizations/${tenant.organizationId}/users`, { userIds: [userId] });
    await eventually(async () => expect(await readdedAt(tenant.organizationId, userId)).not.toBeNull(), { within: 1000 });
    // Re-adding lifts nothing: the token from before the removal stays refused; one issued after it passes.
    await guard(old).expect(401);
    await nextSecond();
    const fresh = await logto.idp.mintUserToken({ sub: userId, organizationId: tenant.organizationId, scopes: ['tenant:read'] });
    await guard(fresh).expect(200);

    await logto.admin('DELETE', `/organizations/${tenant.organizationId}/users/${userId}`);
    await eventually(async () => expect(await removalsOf(userId)).toHaveLength(2), { within: 1000 });
    await guard(fresh).expect(401);
    expect((await removalsOf(userId)).map((event) => event.data.source)).toEqual(['logto-webhook', 'logto-webhook']);
    expect(await auditedRemovals(userId)).toBe('2');

    // Every delivery again (Logto signs no timestamp: a replay verifies), in order and reversed: nothing new.
    const recorded = deliveriesFor(userId);
    expect(recorded.length).toBeGreaterThanOrEqual(4);
    for (const delivery of [...recorded, ...[...recorded].reverse()]) {
      await replay(delivery);
    }
    expect(await removalsOf(userId)).toHaveLength(2);
    expect(await auditedRemovals(userId)).toBe('2');
  });

  (onServer ? it : it.skip)('a removal delivered late, after the member was re-added, gives no event and does not log the re-added member out', async () => {
    const tenant = await createTenant('late-removal');
    const userId = await logto.createUser('member');
    const guard = (token: string) => request(app.server).get(`/api/tenants/${tenant.id}`).auth(token, { type: 'bearer' });
    await logto.admin('POST', `/organizations/${tenant.organizationId}/users`, { userIds: [userId] });
    await logto.admin('DELETE', `/organizations/${tenant.organizationId}/users/${userId}`);
    await eventually(async () => expect(await removalsOf(userId)).toHaveLength(1), { within: 1000 });
    const removal = deliveriesFor(userId).find((delivery) => delivery.body.includes('removedUserIds'));
    expect(removal).toBeDefined();

    await logto.admin('POST', `/organizations/${tenant.organizationId}/users`, { userIds: [userId] });
    await eventually(async () => expect(await readdedAt(tenant.organizationId, userId)).not.toBeNull(), { within: 1000 });
    await nextSecond();
    const fresh = await logto.idp.mintUserToken({ sub: userId, organizationId: tenant.organizationId, scopes: ['tenant:read'] });
    await guard(fresh).expect(200);

    // The first removal's delivery again, now after the re-addition (its createdAt is before it): a repeat.
    await replay(removal!);
    expect(await removalsOf(userId)).toHaveLength(1);
    await guard(fresh).expect(200);
  });

  (onServer ? it : it.skip)('an invitation accepted in Logto re-adds the member through the webhook (Logto 1.42 sends addedUserIds on accept)', async () => {
    const tenant = await createTenant('accepted-in-logto');
    const email = `readd_${Date.now()}@example.com`;
    const { id: userId } = await logto.admin<{ id: string }>('POST', '/users', { username: `readd_${Date.now()}`, primaryEmail: email });
    await logto.admin('POST', `/organizations/${tenant.organizationId}/users`, { userIds: [userId] });
    await logto.admin('DELETE', `/organizations/${tenant.organizationId}/users/${userId}`);
    await eventually(async () => expect(await removalsOf(userId)).toHaveLength(1), { within: 1000 });

    const invitation = await logto.admin<{ id: string }>('POST', '/organization-invitations', { organizationId: tenant.organizationId, invitee: email, expiresAt: Date.now() + 3_600_000 });
    await logto.admin('PUT', `/organization-invitations/${invitation.id}/status`, { status: 'Accepted', acceptedUserId: userId });
    await eventually(async () => expect(await readdedAt(tenant.organizationId, userId)).not.toBeNull(), { within: 1000 });
    expect(deliveriesFor(userId).some((delivery) => (JSON.parse(delivery.body) as { addedUserIds?: string[] }).addedUserIds?.includes(userId))).toBe(true);

    await logto.admin('DELETE', `/organizations/${tenant.organizationId}/users/${userId}`);
    await eventually(async () => expect(await removalsOf(userId)).toHaveLength(2), { within: 1000 });
  });

  (onServer ? it : it.skip)('removed through the members API twice, with Logto reporting each removal too: one event per removal', async () => {
    const tenant = await createTenant('api-and-webhook');
    const userId = await logto.createUser('member');
    const removeThroughApi = () => request(app.server).delete(`/api/tenants/${tenant.id}/members/${userId}`).auth(operator, { type: 'bearer' }).expect(204);
    const reportedRemovals = () => deliveriesFor(userId).filter((delivery) => delivery.body.includes('removedUserIds')).length;
    await logto.admin('POST', `/organizations/${tenant.organizationId}/users`, { userIds: [userId] });
    await removeThroughApi();
    await eventually(() => expect(reportedRemovals()).toBe(1), { within: 1000 });
    await logto.admin('POST', `/organizations/${tenant.organizationId}/users`, { userIds: [userId] });
    await removeThroughApi();
    await eventually(() => expect(reportedRemovals()).toBe(2), { within: 1000 });
    // Both of Logto's reports handled (the relay records a delivery once the API answered it): two events, not four.
    expect(await removalsOf(userId)).toHaveLength(2);
    expect(await auditedRemovals(userId)).toBe('2');
  });

  (onServer ? it : it.skip)('a re-addition only the drift pass sees (its delivery lost) still makes the next removal a new one', async () => {
    const tenant = await createTenant('pass-readds');
    const userId = await logto.createUser('member');
    await logto.admin('POST', `/organizations/${tenant.organizationId}/users`, { userIds: [userId] });
    await logto.admin('DELETE', `/organizations/${tenant.organizationId}/users/${userId}`);
    await eventually(async () => expect(await removalsOf(userId)).toHaveLength(1), { within: 1000 });
    // Re-added while the hook is off: the addition's delivery is lost (Logto does not retry one).
    await logto.admin('PATCH', `/hooks/${hookId}`, { enabled: false });
    try {
      await logto.admin('POST', `/organizations/${tenant.organizationId}/users`, { userIds: [userId] });
    } finally {
      await logto.admin('PATCH', `/hooks/${hookId}`, { enabled: true });
    }
    expect(await readdedAt(tenant.organizationId, userId)).toBeNull();
    await request(app.server).post('/api/tenants/reconcile').auth(operator, { type: 'bearer' }).expect(200);
    expect(await readdedAt(tenant.organizationId, userId)).not.toBeNull();

    await logto.admin('DELETE', `/organizations/${tenant.organizationId}/users/${userId}`);
    await eventually(async () => expect(await removalsOf(userId)).toHaveLength(2), { within: 1000 });
  });
});
