import request from 'supertest';
import { DataSource } from 'typeorm';
import { EdgeSessions } from '@app/edge-sessions';
import { PrincipalRevocations, Revocation, RevocationsPurge } from '@app/security';
import { MemberRemovals } from '@app/tenants';
import { eventually } from '../support/eventually';
import { createTestDatabase, RunningApp, startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { requiresServer, TestDatabase } from '../support/test-database';

const BASE = 'revoked.cameleer.test';
const AUTH_ORIGIN = `https://auth.${BASE}`;
const COOKIE = '__Secure-cameleer_session';
const LOGIN_COOKIE = '__Secure-cameleer_login';

function cookieValue(response: request.Response, name: string): string | undefined {
  const header = response.headers['set-cookie'] as string[] | string | undefined;
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return lines.find((line) => line.startsWith(`${name}=`))?.slice(name.length + 1).split(';')[0];
}

function claimsOf(token: string): { sub: string; organization_id?: string; iat: number } {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string; organization_id?: string; iat: number };
}

/**
 * Waits for the next whole second: a token's iat has whole seconds, and one issued in the second of a revocation is
 * refused with it (REVOCATION_CLOCK_SKEW_SECONDS is 0 here). Not a duration asserted: a precondition of "issued after".
 */
async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
}

/**
 * A member removed in Logto, or a user deleted or suspended, is refused within a second on every replica (at the guard
 * and at forward-auth, caches warm) although their Logto token still verifies; their edge sessions end; a role change
 * only drops the session's organization tokens. Two replicas on one PostgreSQL, the dev IdP as Logto.
 */
describe('principal revocations across replicas', () => {
  const onServer = requiresServer('two app instances notifying each other through LISTEN/NOTIFY');
  let logto: TenantsIdp;
  let database: TestDatabase;
  let first: RunningApp;
  let second: RunningApp;
  let operator: string;
  const userIds = new Map<string, string>();
  const replicas = (): RunningApp[] => [first, second];

  beforeAll(async () => {
    if (!onServer) {
      return;
    }
    logto = await startTenantsIdp();
    const edgeApp = await logto.idp.registerEdgeApp({ redirectUris: [`${AUTH_ORIGIN}/api/auth/callback`], postLogoutRedirectUris: [`${AUTH_ORIGIN}/api/auth/signed-out`] });
    for (const name of ['alice', 'bob']) {
      userIds.set(name, (await logto.admin<{ id: string }>('POST', '/users', { username: name, password: `${name}-Passw0rd` })).id);
    }
    database = await createTestDatabase();
    const env = logto.env({
      TENANT_BASE_DOMAIN: BASE,
      LOGTO_EDGE_APP_ID: edgeApp.clientId,
      LOGTO_EDGE_APP_SECRET: edgeApp.clientSecret,
      EDGE_SIGN_IN_RATE_LIMIT_MAX: '100000',
      REVOCATION_CLOCK_SKEW_SECONDS: '0',
    });
    first = await startAppOn(database, env);
    second = await startAppOn(database, env);
    operator = await logto.operatorToken();
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await database?.drop();
    await logto?.stop();
  });

  async function tenant(slug: string): Promise<{ id: string; organizationId: string }> {
    const created = await request(first.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug, name: slug }).expect(201);
    return { id: created.body.id as string, organizationId: created.body.logtoOrganizationId as string };
  }

  const memberToken = (sub: string, organizationId: string) => logto.idp.mintUserToken({ sub, organizationId, scopes: ['tenant:read'] });
  const guard = (app: RunningApp, tenantId: string, token: string) => request(app.server).get(`/api/tenants/${tenantId}`).auth(token, { type: 'bearer' });
  const forwardAuth = (app: RunningApp, slug: string, token: string) =>
    request(app.server).get('/api/auth/verify').set('X-Forwarded-Host', `${slug}.${BASE}`).set('Authorization', `Bearer ${token}`);

  /** The guard and forward-auth answers of both replicas for a member's token, as [status, ...]. */
  async function answers(tenantOf: { id: string; slug: string }, token: string): Promise<number[]> {
    const statuses: number[] = [];
    for (const app of replicas()) {
      statuses.push((await guard(app, tenantOf.id, token)).status, (await forwardAuth(app, tenantOf.slug, token)).status);
    }
    return statuses;
  }

  async function signIn(username: string): Promise<{ cookie: string; subject: string }> {
    const login = await request(first.server).get('/api/auth/login').query({ rd: `https://acme.${BASE}/` }).expect(302);
    const callbackUrl = new URL(await logto.idp.signInWithPassword({ authorizeUrl: login.headers.location as string, username, password: `${username}-Passw0rd` }));
    const callback = await request(first.server)
      .get(`/api/auth/callback${callbackUrl.search}`)
      .set('Cookie', `${LOGIN_COOKIE}=${cookieValue(login, LOGIN_COOKIE) ?? ''}`)
      .expect(302);
    const cookie = cookieValue(callback, COOKIE) ?? '';
    const session = await first.app.get(EdgeSessions).find(cookie);
    if (session === undefined) {
      throw new Error('the sign-in created no session');
    }
    return { cookie, subject: session.subject };
  }

  (onServer ? it : it.skip)(
    'a removed member is refused within a second on both replicas (guard and forward-auth, warm), their other organization still works, a token issued after works, and the feed says so once',
    async () => {
      const acme = { ...(await tenant('acme')), slug: 'acme' };
      const globex = { ...(await tenant('globex')), slug: 'globex' };
      const token = await memberToken('carol', acme.organizationId);
      const elsewhere = await memberToken('carol', globex.organizationId);
      // Warm every cache: both replicas verified both tokens.
      expect(await answers(acme, token)).toEqual([200, 200, 200, 200]);
      expect(await answers(globex, elsewhere)).toEqual([200, 200, 200, 200]);

      const removals = first.app.get(MemberRemovals);
      await removals.removed({ organizationId: acme.organizationId, userId: 'carol', actor: 'user:admin', source: 'logto-webhook' });
      // The replica that recorded it refuses before the call returned.
      expect((await guard(first, acme.id, token)).status).toBe(401);
      await eventually(async () => expect(await answers(acme, token)).toEqual([401, 401, 401, 401]), { within: 1000 });
      const refused = await guard(second, acme.id, token);
      expect(refused.body).toMatchObject({ status: 401, code: 'INVALID_TOKEN' });
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
      expect(await answers(globex, elsewhere)).toEqual([200, 200, 200, 200]);

      // The same removal again (the members API's, then Logto's webhook): one event, one audit record.
      await removals.removed({ organizationId: acme.organizationId, userId: 'carol', actor: 'logto', source: 'api' });
      const feed = await request(first.server).get('/api/events').query({ after: '0', limit: 100 }).auth(operator, { type: 'bearer' }).expect(200);
      const removedEvents = (feed.body.items as { type: string; tenantId: string; data: Record<string, unknown> }[]).filter((event) => event.type === 'member.removed');
      expect(removedEvents).toEqual([
        expect.objectContaining({ tenantId: acme.id, data: { tenantId: acme.id, organizationId: acme.organizationId, userId: 'carol', source: 'logto-webhook' } }),
      ]);
      const audit = await first.app.get(DataSource).query(`SELECT actor FROM audit_events WHERE action = 'member.removed' AND target_id = 'carol'`);
      expect(audit).toEqual([{ actor: 'user:admin' }]);

      // Re-added in Logto: a token issued after the removal works everywhere; the old one stays refused.
      await nextSecond();
      const fresh = await memberToken('carol', acme.organizationId);
      expect(await answers(acme, fresh)).toEqual([200, 200, 200, 200]);
      expect(await answers(acme, token)).toEqual([401, 401, 401, 401]);
    },
  );

  (onServer ? it : it.skip)('an organization that is no tenant’s: the revocation only, no event', async () => {
    const token = await memberToken('dave', 'org-without-tenant');
    await first.app.get(MemberRemovals).removed({ organizationId: 'org-without-tenant', userId: 'dave', actor: 'logto', source: 'reconciler' });
    expect(first.app.get(PrincipalRevocations).refuses({ kind: 'user', subject: 'dave', organizationId: 'org-without-tenant', issuedAt: new Date(claimsOf(token).iat * 1000) })).toBe(true);
    const feed = await request(first.server).get('/api/events').query({ after: '0', limit: 100 }).auth(operator, { type: 'bearer' }).expect(200);
    expect((feed.body.items as { data: Record<string, unknown> }[]).filter((event) => event.data.userId === 'dave')).toEqual([]);
  });

  (onServer ? it : it.skip)('a suspended user: every token refused on both replicas, and their edge sessions end on both (the browser signs in again)', async () => {
    const initech = { ...(await tenant('initech')), slug: 'initech' };
    const aliceId = userIds.get('alice')!;
    await logto.admin('POST', `/organizations/${initech.organizationId}/users`, { userIds: [aliceId] });
    // A role granting tenant:read, so that her session's organization token lets her in.
    const resources = await logto.admin<{ id: string; indicator: string }[]>('GET', '/resources');
    const resourceId = resources.find((resource) => resource.indicator === logto.idp.apiResource)?.id;
    const scope = await logto.admin<{ id: string }>('POST', `/resources/${resourceId}/scopes`, { name: 'tenant:read' });
    const role = await logto.admin<{ id: string }>('POST', '/organization-roles', { name: 'reader', resourceScopeIds: [scope.id] });
    await logto.admin('POST', `/organizations/${initech.organizationId}/users/${aliceId}/roles`, { organizationRoleIds: [role.id] });
    // Signed in once the scope exists: Logto grants the scopes the sign-in asked for that exist then.
    const alice = await signIn('alice');
    const inOrganization = await memberToken(alice.subject, initech.organizationId);
    const plain = await logto.idp.mintUserToken({ sub: alice.subject, scopes: [] });
    const page = (app: RunningApp) =>
      request(app.server)
        .get('/api/auth/verify')
        .set('X-Forwarded-Host', `initech.${BASE}`)
        .set('X-Forwarded-Method', 'GET')
        .set('X-Forwarded-Proto', 'https')
        .set('X-Forwarded-Uri', '/')
        .set('Accept', 'text/html')
        .set('Sec-Fetch-Mode', 'navigate')
        .set('Cookie', `${COOKIE}=${alice.cookie}`);
    for (const app of replicas()) {
      expect((await page(app)).status).toBe(200);
      await request(app.server).get('/api/auth/me').auth(plain, { type: 'bearer' }).expect(200);
      expect(app.app.get(EdgeSessions).cachedSession(alice.cookie)).toBeDefined();
    }
    expect(await answers(initech, inOrganization)).toEqual([200, 200, 200, 200]);

    await first.app.get(PrincipalRevocations).revokeUser({ userId: alice.subject, reason: 'user_suspended' });
    await eventually(
      async () => {
        expect(await answers(initech, inOrganization)).toEqual([401, 401, 401, 401]);
        for (const app of replicas()) {
          expect((await request(app.server).get('/api/auth/me').auth(plain, { type: 'bearer' })).status).toBe(401);
          expect(app.app.get(EdgeSessions).cachedSession(alice.cookie)).toBeUndefined();
          const answer = await page(app);
          expect(answer.status).toBe(302);
          expect(answer.headers.location).toContain(`${AUTH_ORIGIN}/api/auth/login`);
        }
      },
      { within: 1000 },
    );
    expect(await first.app.get(DataSource).query('SELECT id FROM edge_sessions WHERE subject = $1', [alice.subject])).toEqual([]);
  });

  (onServer ? it : it.skip)('roles changed: the session’s cached organization token is dropped on both replicas, the session lives on and gets a new one', async () => {
    const bob = await signIn('bob');
    const { id: organizationId } = await logto.admin<{ id: string }>('POST', '/organizations', { name: 'roles-org' });
    await logto.admin('POST', `/organizations/${organizationId}/users`, { userIds: [bob.subject] });
    const sessions = replicas().map((app) => app.app.get(EdgeSessions));
    const session = (await sessions[0]!.find(bob.cookie))!;
    const before = await sessions[0]!.organizationToken(session, organizationId);
    await sessions[1]!.find(bob.cookie);
    await sessions[1]!.organizationToken(session, organizationId);
    sessions.forEach((edge) => expect(edge.cachedOrganizationToken(session.id, organizationId)).toBe(before));

    await first.app.get(PrincipalRevocations).revokeMembership({ organizationId, userId: bob.subject, reason: 'roles_changed' });
    await eventually(
      async () => {
        for (const edge of sessions) {
          expect(edge.cachedOrganizationToken(session.id, organizationId)).toBeUndefined();
          expect(await edge.find(bob.cookie)).toEqual(session);
        }
      },
      { within: 1000 },
    );
    await nextSecond();
    const after = await sessions[1]!.organizationToken(session, organizationId);
    expect(after).not.toBe(before);
    expect(first.app.get(PrincipalRevocations).refuses({ kind: 'user', subject: bob.subject, organizationId, issuedAt: new Date(claimsOf(after).iat * 1000) })).toBe(false);
    expect(first.app.get(PrincipalRevocations).refuses({ kind: 'user', subject: bob.subject, organizationId, issuedAt: new Date(claimsOf(before).iat * 1000) })).toBe(true);
  });

  (onServer ? it : it.skip)('a revocation in a rolled-back transaction is never broadcast; one in a committed transaction is, after the commit', async () => {
    const heard: Revocation[][] = replicas().map(() => []);
    const stop = replicas().map((app, i) => app.app.get(PrincipalRevocations).onRevoked((revocation) => heard[i]!.push(revocation)));
    try {
      const revocations = first.app.get(PrincipalRevocations);
      const dataSource = first.app.get(DataSource);
      await expect(
        dataSource.transaction(async (tx) => {
          await revocations.revokeMembership({ organizationId: 'org-x', userId: 'rolled-back', reason: 'member_removed' }, tx);
          throw new Error('the caller fails after the revocation');
        }),
      ).rejects.toThrow('the caller fails');
      await dataSource.transaction(async (tx) => {
        await revocations.revokeMembership({ organizationId: 'org-x', userId: 'committed', reason: 'member_removed' }, tx);
        // Inside the transaction nothing was heard yet, here or elsewhere.
        expect(heard.flat()).toEqual([]);
      });
      // Heard here before the commit returned; on the other replica within a second.
      expect(heard[0]!.map((revocation) => revocation.userId)).toEqual(['committed']);
      await eventually(() => expect(heard[1]!.map((revocation) => revocation.userId)).toEqual(['committed']), { within: 1000 });
      expect(await dataSource.query(`SELECT user_id FROM principal_revocations WHERE user_id = 'rolled-back'`)).toEqual([]);
    } finally {
      stop.forEach((unsubscribe) => unsubscribe());
    }
  });

  (onServer ? it : it.skip)('a replica whose change channel dropped reloads the revocations it may have missed', async () => {
    const umbrella = { ...(await tenant('umbrella')), slug: 'umbrella' };
    const token = await memberToken('erin', umbrella.organizationId);
    expect(await answers(umbrella, token)).toEqual([200, 200, 200, 200]);
    // A revocation whose notification never arrived (written behind the bus's back), then the channel drops.
    await first.app.get(DataSource).query(
      `INSERT INTO principal_revocations (organization_id, user_id, reason, revoked_at, expires_at) VALUES ($1, 'erin', 'member_removed', now(), now() + interval '1 hour')`,
      [umbrella.organizationId],
    );
    expect(await answers(umbrella, token)).toEqual([200, 200, 200, 200]);
    await first.app.get(DataSource).query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'cameleer-saas-changes' AND datname = current_database()`,
    );
    await eventually(async () => expect(await answers(umbrella, token)).toEqual([401, 401, 401, 401]), { within: 5000 });
  });

  (onServer ? it : it.skip)('the purge deletes expired revocations and reads the live ones again (the net under a notification given up on)', async () => {
    const dataSource = first.app.get(DataSource);
    await dataSource.query(
      `INSERT INTO principal_revocations (organization_id, user_id, reason, revoked_at, expires_at)
       VALUES (NULL, 'expired-user', 'user_deleted', now() - interval '2 hours', now() - interval '1 hour'),
              (NULL, 'missed-user', 'user_suspended', now(), now() + interval '1 hour')`,
    );
    const missed = { kind: 'user' as const, subject: 'missed-user', organizationId: undefined, issuedAt: new Date(Date.now() - 60_000) };
    expect(second.app.get(PrincipalRevocations).refuses(missed)).toBe(false);
    await second.app.get(RevocationsPurge).purge();
    expect(second.app.get(PrincipalRevocations).refuses(missed)).toBe(true);
    expect(await dataSource.query(`SELECT user_id FROM principal_revocations WHERE user_id IN ('expired-user', 'missed-user')`)).toEqual([{ user_id: 'missed-user' }]);
  });

  (onServer ? it : it.skip)('one removal delivered at once on both replicas (the members API and the webhook racing) gives one event', async () => {
    const hooli = { ...(await tenant('hooli')), slug: 'hooli' };
    await Promise.all(
      replicas().map((app, i) => app.app.get(MemberRemovals).removed({ organizationId: hooli.organizationId, userId: 'frank', actor: `actor-${i}`, source: i === 0 ? 'api' : 'logto-webhook' })),
    );
    const events = await first.app.get(DataSource).query(`SELECT data FROM event_outbox WHERE type = 'member.removed' AND tenant_id = $1`, [hooli.id]);
    expect(events).toHaveLength(1);
    expect(await first.app.get(DataSource).query(`SELECT id FROM audit_events WHERE action = 'member.removed' AND tenant_id = $1`, [hooli.id])).toHaveLength(1);
  });

  (onServer ? it : it.skip)('a revocation inside a savepoint that rolls back is dropped, the enclosing transaction’s is broadcast on commit', async () => {
    const heard: string[] = [];
    // Only this test's users: an earlier test's broadcast may still be on its way to this replica.
    const stop = second.app.get(PrincipalRevocations).onRevoked((revocation) => revocation.userId.startsWith('in-') && heard.push(revocation.userId));
    try {
      const revocations = first.app.get(PrincipalRevocations);
      await first.app.get(DataSource).transaction(async (tx) => {
        await expect(
          tx.transaction(async (savepoint) => {
            await revocations.revokeUser({ userId: 'in-savepoint', reason: 'user_deleted' }, savepoint);
            throw new Error('the savepoint rolls back');
          }),
        ).rejects.toThrow('the savepoint rolls back');
        await tx.transaction((savepoint) => revocations.revokeUser({ userId: 'in-released-savepoint', reason: 'user_deleted' }, savepoint));
        await revocations.revokeUser({ userId: 'in-transaction', reason: 'user_suspended' }, tx);
      });
      await eventually(() => expect([...heard].sort()).toEqual(['in-released-savepoint', 'in-transaction']), { within: 1000 });
    } finally {
      stop();
    }
  });

  (onServer ? it : it.skip)('ids that no Logto user or organization has: 422 INVALID_REVOCATION, nothing written', async () => {
    const removals = first.app.get(MemberRemovals);
    const revocations = first.app.get(PrincipalRevocations);
    for (const attempt of [
      () => removals.removed({ organizationId: '', userId: 'gina', actor: 'logto', source: 'logto-webhook' }),
      () => removals.removed({ organizationId: 'org-g', userId: 'g'.repeat(65), actor: 'logto', source: 'logto-webhook' }),
      () => revocations.revokeUser({ userId: '', reason: 'user_deleted' }),
      () => revocations.revokeUser({ userId: 'gina', reason: 'promoted' as never }),
      () => revocations.revokeMembership({ organizationId: 'org-g', userId: 'gina', reason: 'member_removed', at: new Date(Number.NaN) }),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'INVALID_REVOCATION', spec: { status: 422 } });
    }
    expect(await first.app.get(DataSource).query(`SELECT id FROM principal_revocations WHERE user_id IN ('', 'gina') OR organization_id IN ('', 'org-g')`)).toEqual([]);
  });
});
