import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { eventually } from '../support/eventually';
import { createTestDatabase, RunningApp, startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { itOnServer, TestDatabase } from '../support/test-database';

const BASE = 'members.cameleer.test';
const AUTH_ORIGIN = `https://auth.${BASE}`;
const COOKIE = '__Secure-cameleer_session';
const LOGIN_COOKIE = '__Secure-cameleer_login';
const TENANT_SCOPES = ['tenant:read', 'tenant:admin'];

function cookieValue(response: request.Response, name: string): string | undefined {
  const header = response.headers['set-cookie'] as string[] | string | undefined;
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return lines.find((line) => line.startsWith(`${name}=`))?.slice(name.length + 1).split(';')[0];
}

/**
 * Waits for the next whole second: a token's iat has whole seconds, and one issued in the second of a revocation is
 * refused with it (REVOCATION_CLOCK_SKEW_SECONDS is 0 here). Not a duration asserted: a precondition of "issued after".
 */
async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
}

interface Person {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  readonly password: string;
}

/**
 * Members and invitations (issue 16) on the real app against the dev IdP: Logto keeps memberships, roles and
 * invitations; the API checks the rules, audits, revokes, and runs the accept page on the edge sign-in, where the
 * invitee signs in through the dev IdP's sign-in page as a browser would.
 */
describe('members and invitations', () => {
  let logto: TenantsIdp;
  let database: TestDatabase;
  let running: RunningApp;
  let operator: string;
  let tenantId: string;
  let organizationId: string;
  let owner: Person;
  const roleIds: Record<string, string> = {};

  const api = () => request(running.server);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const memberToken = (userId: string, scopes = TENANT_SCOPES) => logto.idp.mintUserToken({ sub: userId, organizationId, scopes });

  /** A Logto user with a password and a primary email (the invitee's account). */
  async function person(name: string): Promise<Person> {
    const username = `${name}_${randomUUID().replace(/-/g, '').slice(0, 10)}`;
    const email = `${username}@example.com`;
    const password = `${name}-Passw0rd`;
    const { id } = await logto.admin<{ id: string }>('POST', '/users', { username, password, primaryEmail: email });
    return { id, username, email, password };
  }

  /** A scope of this API's resource in the dev IdP, created when missing; returns its id. */
  async function scope(name: string): Promise<string> {
    const resources = await logto.admin<{ id: string; indicator: string }[]>('GET', '/resources');
    const resource = resources.find((candidate) => candidate.indicator === logto.idp.apiResource);
    if (resource === undefined) {
      throw new Error('the dev IdP has no API resource');
    }
    const scopes = await logto.admin<{ id: string; name: string }[]>('GET', `/resources/${resource.id}/scopes`);
    return scopes.find((candidate) => candidate.name === name)?.id ?? (await logto.admin<{ id: string }>('POST', `/resources/${resource.id}/scopes`, { name })).id;
  }

  /** Signs in through the edge sign-in and the dev IdP's page, returning to `rd`; returns the session cookie. */
  async function signIn(who: Person, rd: string): Promise<string> {
    const login = await api().get('/api/auth/login').query({ rd }).expect(302);
    const callbackUrl = new URL(await logto.idp.signInWithPassword({ authorizeUrl: login.headers.location as string, username: who.username, password: who.password }));
    const callback = await api()
      .get(`/api/auth/callback${callbackUrl.search}`)
      .set('Cookie', `${LOGIN_COOKIE}=${cookieValue(login, LOGIN_COOKIE) ?? ''}`)
      .expect(302);
    expect(callback.headers.location).toBe(rd);
    return cookieValue(callback, COOKIE) ?? '';
  }

  const members = async (): Promise<{ userId: string; roles: string[] }[]> =>
    ((await api().get(`/api/tenants/${tenantId}/members`).query({ pageSize: 100 }).set(bearer(operator)).expect(200)).body as { items: { userId: string; roles: string[] }[] }).items;
  const rolesOf = async (userId: string): Promise<string[] | undefined> => (await members()).find((member) => member.userId === userId)?.roles;
  const invitation = async (id: string): Promise<{ status: string; acceptedUserId: string | null } | undefined> =>
    ((await api().get(`/api/tenants/${tenantId}/invitations`).query({ pageSize: 100 }).set(bearer(operator)).expect(200)).body as { items: { id: string; status: string; acceptedUserId: string | null }[] }).items.find(
      (item) => item.id === id,
    );
  const auditActions = async (targetId: string): Promise<string[]> => {
    const rows: { action: string }[] = await running.app.get(DataSource).query(`SELECT action FROM audit_events WHERE target_id = $1 ORDER BY id`, [targetId]);
    return rows.map((row) => row.action);
  };
  const invite = (email: string, role: string, token = operator) => api().post(`/api/tenants/${tenantId}/invitations`).set(bearer(token)).send({ email, role });
  const acceptPage = (invitationId: string) => `${AUTH_ORIGIN}/api/auth/invitations/${invitationId}`;
  const post = (invitationId: string, cookie: string) =>
    api().post(`/api/auth/invitations/${invitationId}`).set('Origin', AUTH_ORIGIN).set('Accept', 'text/html').set('Cookie', `${COOKIE}=${cookie}`);
  const addMember = async (roles: string[]): Promise<Person> => {
    const someone = await person('m');
    await logto.admin('POST', `/organizations/${organizationId}/users`, { userIds: [someone.id] });
    await logto.admin('POST', `/organizations/${organizationId}/users/roles`, { userIds: [someone.id], organizationRoleIds: roles.map((name) => roleIds[name]) });
    return someone;
  };

  beforeAll(async () => {
    logto = await startTenantsIdp();
    const read = await scope('tenant:read');
    const admin = await scope('tenant:admin');
    const billing = await scope('tenant:billing');
    const platformRead = await scope('platform:read');
    const roleSpecs: [string, string[]][] = [
      ['owner', [read, admin]],
      ['admin', [read, admin]],
      ['member', [read]],
      // Holds a scope tenant admins do not: only operators may grant it.
      ['billing-owner', [read, admin, billing]],
      // What the bootstrap forbids: granting it would make its holders operators.
      ['rogue', [read, platformRead]],
    ];
    for (const [name, resourceScopeIds] of roleSpecs) {
      roleIds[name] = (await logto.admin<{ id: string }>('POST', '/organization-roles', { name, resourceScopeIds })).id;
    }
    const edgeApp = await logto.idp.registerEdgeApp({ redirectUris: [`${AUTH_ORIGIN}/api/auth/callback`], postLogoutRedirectUris: [`${AUTH_ORIGIN}/api/auth/signed-out`] });
    database = await createTestDatabase();
    running = await startAppOn(
      database,
      logto.env({
        TENANT_BASE_DOMAIN: BASE,
        LOGTO_EDGE_APP_ID: edgeApp.clientId,
        LOGTO_EDGE_APP_SECRET: edgeApp.clientSecret,
        EDGE_SIGN_IN_RATE_LIMIT_MAX: '100000',
        REVOCATION_CLOCK_SKEW_SECONDS: '0',
      }),
    );
    operator = await logto.operatorToken();
    owner = await person('owner');
    const created = await api().post('/api/tenants').set(bearer(operator)).send({ slug: 'acme', name: 'Acme Corp', ownerUserId: owner.id }).expect(201);
    tenantId = created.body.id as string;
    organizationId = (await running.app.get(DataSource).query(`SELECT logto_organization_id FROM tenants WHERE id = $1`, [tenantId]))[0].logto_organization_id as string;
  });
  afterAll(async () => {
    await running?.close();
    await database?.drop();
    await logto?.stop();
  });

  describe('listing', () => {
    it('lists the members with their roles by name, paged through Logto, to tenant readers', async () => {
      const second = await addMember(['member', 'admin']);
      const reader = await addMember(['member']);
      const page = await api().get(`/api/tenants/${tenantId}/members`).query({ page: 1, pageSize: 2 }).set(bearer(await memberToken(reader.id, ['tenant:read']))).expect(200);
      expect(page.body).toMatchObject({ page: 1, pageSize: 2, total: expect.any(Number) });
      expect(page.body.items).toHaveLength(2);
      expect(page.body.total).toBeGreaterThanOrEqual(3);
      const all = await members();
      expect(all).toEqual(expect.arrayContaining([
        expect.objectContaining({ userId: owner.id, roles: ['owner'] }),
        expect.objectContaining({ userId: second.id, roles: ['admin', 'member'], primaryEmail: second.email, suspended: false }),
      ]));
    });

    it('is refused to outsiders (404, as for a tenant that does not exist) and for a deleted tenant', async () => {
      const outsider = await logto.idp.mintUserToken({ sub: 'stranger01', organizationId: 'other-organization', scopes: TENANT_SCOPES });
      expect((await api().get(`/api/tenants/${tenantId}/members`).set(bearer(outsider)).expect(404)).body.code).toBe('NOT_FOUND');
      const doomed = await api().post('/api/tenants').set(bearer(operator)).send({ slug: `gone-${randomUUID().slice(0, 6)}`, name: 'Gone' }).expect(201);
      await api().delete(`/api/tenants/${doomed.body.id as string}`).set(bearer(operator)).expect(204);
      await api().get(`/api/tenants/${doomed.body.id as string}/members`).set(bearer(operator)).expect(404);
      await api().post(`/api/tenants/${doomed.body.id as string}/invitations`).set(bearer(operator)).send({ email: 'x@example.com', role: 'member' }).expect(404);
    });
  });

  describe('inviting and accepting', () => {
    it('invite → Logto sends our link → the invitee signs in → confirms → is a member with the role; the link cannot be reused', async () => {
      const invitee = await person('invitee');
      const admin = await addMember(['admin']);
      const created = await invite(invitee.email, 'member', await memberToken(admin.id)).expect(201);
      const invitationId = created.body.invitation.id as string;
      expect(created.body).toEqual({
        invitation: expect.objectContaining({ id: invitationId, email: invitee.email, roles: ['member'], status: 'Pending', inviterId: admin.id, acceptedUserId: null }),
        delivery: { sent: true },
      });
      const expiresIn = Date.parse(created.body.invitation.expiresAt as string) - Date.now();
      expect(expiresIn).toBeGreaterThan(6.9 * 24 * 3600 * 1000);
      expect(expiresIn).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
      const [email] = await logto.idp.sentEmails(invitee.email);
      expect(email).toMatchObject({ type: 'OrganizationInvitation', payload: { link: acceptPage(invitationId), organization: { id: organizationId } } });

      // Not signed in: to the edge sign-in, returning to the accept page.
      const anonymous = await api().get(`/api/auth/invitations/${invitationId}`).expect(302);
      expect(anonymous.headers.location).toBe(`${AUTH_ORIGIN}/api/auth/login?rd=${encodeURIComponent(acceptPage(invitationId))}`);

      const cookie = await signIn(invitee, acceptPage(invitationId));
      const confirm = await api().get(`/api/auth/invitations/${invitationId}`).set('Accept', 'text/html').set('Cookie', `${COOKIE}=${cookie}`).expect(200);
      expect(confirm.headers['content-type']).toContain('text/html');
      expect(confirm.text).toContain('Join Acme Corp');
      expect(confirm.text).toContain(`action="${acceptPage(invitationId)}"`);
      expect(await rolesOf(invitee.id)).toBeUndefined(); // a GET changes nothing

      const joined = await post(invitationId, cookie).type('form').send('').expect(200);
      expect(joined.text).toContain('You joined Acme Corp');
      expect(joined.text).toContain(`href="https://acme.${BASE}/"`);
      expect(await rolesOf(invitee.id)).toEqual(['member']);
      expect(await invitation(invitationId)).toMatchObject({ status: 'Accepted', acceptedUserId: invitee.id });
      expect(await auditActions(invitationId)).toEqual(['invitation.created', 'invitation.sent', 'invitation.accepted']);

      const again = await post(invitationId, cookie).expect(409);
      expect(again.text).toContain('You accepted this invitation already.');
      // The invitee is a member now: inviting them again is refused.
      expect((await invite(invitee.email.toUpperCase(), 'member').expect(409)).body.code).toBe('ALREADY_MEMBER');
    });

    it("someone else's invitation is refused (403 page) and changes nothing", async () => {
      const intended = await person('intended');
      const intruder = await person('intruder');
      const invitationId = (await invite(intended.email, 'admin').expect(201)).body.invitation.id as string;
      const cookie = await signIn(intruder, acceptPage(invitationId));
      const refused = await post(invitationId, cookie).expect(403);
      expect(refused.headers['content-type']).toContain('text/html');
      expect(refused.text).toContain('another email address');
      await api().get(`/api/auth/invitations/${invitationId}`).set('Cookie', `${COOKIE}=${cookie}`).expect(403);
      expect(await invitation(invitationId)).toMatchObject({ status: 'Pending', acceptedUserId: null });
      expect(await rolesOf(intruder.id)).toBeUndefined();
    });

    it('a revoked invitation is refused (410) and a second revocation too; a pending one blocks a duplicate', async () => {
      const invitee = await person('revokee');
      const invitationId = (await invite(invitee.email, 'member').expect(201)).body.invitation.id as string;
      expect((await invite(invitee.email, 'member').expect(409)).body.code).toBe('INVITATION_PENDING');
      const revoked = await api().delete(`/api/tenants/${tenantId}/invitations/${invitationId}`).set(bearer(operator)).expect(200);
      expect(revoked.body).toMatchObject({ id: invitationId, status: 'Revoked' });
      expect((await api().delete(`/api/tenants/${tenantId}/invitations/${invitationId}`).set(bearer(operator)).expect(410)).body.code).toBe('INVITATION_REVOKED');
      const cookie = await signIn(invitee, acceptPage(invitationId));
      expect((await post(invitationId, cookie).expect(410)).text).toContain('revoked');
      expect(await rolesOf(invitee.id)).toBeUndefined();
      expect(await auditActions(invitationId)).toEqual(['invitation.created', 'invitation.sent', 'invitation.revoked']);
    });

    it('an expired invitation is refused (410) and changes nothing', async () => {
      const invitee = await person('late');
      // Logto refuses an expiry in the past: create one that expires in a moment, straight in Logto.
      const created = await logto.admin<{ id: string }>('POST', '/organization-invitations', {
        organizationId,
        invitee: invitee.email,
        expiresAt: Date.now() + 1500,
        organizationRoleIds: [roleIds.member],
      });
      await eventually(async () => expect((await invitation(created.id))?.status).toBe('Expired'), { within: 10_000 });
      const cookie = await signIn(invitee, acceptPage(created.id));
      expect((await post(created.id, cookie).expect(410)).text).toContain('expired');
      expect(await rolesOf(invitee.id)).toBeUndefined();
    });

    it('without an email connector the invitation is kept and reported unsent; re-sending works once there is one', async () => {
      const invitee = await person('unsent');
      await logto.idp.setEmailConnector(false);
      let invitationId: string;
      try {
        const created = await invite(invitee.email, 'member').expect(201);
        invitationId = created.body.invitation.id as string;
        expect(created.body.delivery).toEqual({ sent: false, reason: 'NO_EMAIL_CONNECTOR', detail: expect.stringContaining('connector') });
        const retried = await api().post(`/api/tenants/${tenantId}/invitations/${invitationId}/message`).set(bearer(operator)).expect(200);
        expect(retried.body.delivery).toMatchObject({ sent: false, reason: 'NO_EMAIL_CONNECTOR' });
      } finally {
        await logto.idp.setEmailConnector(true);
      }
      expect(await invitation(invitationId)).toMatchObject({ status: 'Pending' });
      expect(await logto.idp.sentEmails(invitee.email)).toEqual([]);
      const resent = await api().post(`/api/tenants/${tenantId}/invitations/${invitationId}/message`).set(bearer(operator)).expect(200);
      expect(resent.body).toMatchObject({ invitation: { id: invitationId, status: 'Pending' }, delivery: { sent: true } });
      expect((await logto.idp.sentEmails(invitee.email)).map((email) => email.payload.link)).toEqual([acceptPage(invitationId)]);
    });

    it('a suspended tenant takes no invitation and none is accepted into it (409 TENANT_NOT_ACTIVE), nothing changed', async () => {
      const paused = await api().post('/api/tenants').set(bearer(operator)).send({ slug: `paused-${randomUUID().slice(0, 6)}`, name: 'Paused', ownerUserId: owner.id }).expect(201);
      const id = paused.body.id as string;
      const invitee = await person('paused');
      const invitationId = (await api().post(`/api/tenants/${id}/invitations`).set(bearer(operator)).send({ email: invitee.email, role: 'member' }).expect(201)).body.invitation.id as string;
      await api().post(`/api/tenants/${id}/suspend`).set(bearer(operator)).expect(200);
      const refusedInvite = await api().post(`/api/tenants/${id}/invitations`).set(bearer(operator)).send({ email: 'later@example.com', role: 'member' }).expect(409);
      expect(refusedInvite.body.code).toBe('TENANT_NOT_ACTIVE');
      const cookie = await signIn(invitee, acceptPage(invitationId));
      expect((await post(invitationId, cookie).set('Accept', 'application/json').expect(409)).body.code).toBe('TENANT_NOT_ACTIVE');
      const listed = (await api().get(`/api/tenants/${id}/invitations`).set(bearer(operator)).expect(200)).body as { items: { id: string; status: string }[] };
      expect(listed.items).toEqual([expect.objectContaining({ id: invitationId, status: 'Pending' })]);
    });

    itOnServer('a status change held open on a second connection')('an accept that races with the tenant leaving ACTIVE waits for it and is refused (no member joins a suspended or deleted tenant)', async () => {
      const racing = await api().post('/api/tenants').set(bearer(operator)).send({ slug: `race-${randomUUID().slice(0, 6)}`, name: 'Race', ownerUserId: owner.id }).expect(201);
      const id = racing.body.id as string;
      const invitee = await person('racer');
      const invitationId = (await api().post(`/api/tenants/${id}/invitations`).set(bearer(operator)).send({ email: invitee.email, role: 'member' }).expect(201)).body.invitation.id as string;
      const cookie = await signIn(invitee, acceptPage(invitationId));
      const dataSource = running.app.get(DataSource);
      // A status change in flight (as a suspend or delete holds the tenant row until it commits).
      const change = dataSource.createQueryRunner();
      await change.connect();
      try {
        await change.startTransaction();
        await change.query(`UPDATE tenants SET status = 'SUSPENDED' WHERE id = $1`, [id]);
        const accepting = post(invitationId, cookie).set('Accept', 'application/json').then((answer) => answer);
        await eventually(
          async () => expect(Number((await dataSource.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`))[0].n)).toBeGreaterThan(0),
          { within: 5_000 },
        );
        await change.commitTransaction();
        const answer = await accepting;
        expect(answer.status).toBe(409);
        expect(answer.body.code).toBe('TENANT_NOT_ACTIVE');
      } finally {
        if (change.isTransactionActive) {
          await change.rollbackTransaction();
        }
        await change.release();
      }
      const listed = (await api().get(`/api/tenants/${id}/invitations`).set(bearer(operator)).expect(200)).body as { items: { id: string; status: string }[] };
      expect(listed.items).toEqual([expect.objectContaining({ id: invitationId, status: 'Pending' })]);
      expect(await auditActions(invitationId)).toEqual(['invitation.created', 'invitation.sent']);
    });

    it('refuses an accept form from another origin, and unknown or malformed invitations', async () => {
      const stranger = await person('stranger');
      const cookie = await signIn(stranger, acceptPage('nosuchinvitation00001'));
      expect((await api().post('/api/auth/invitations/nosuchinvitation00001').set('Origin', 'https://evil.example').set('Cookie', `${COOKIE}=${cookie}`).expect(403)).body.code).toBe('FOREIGN_ORIGIN');
      expect((await post('nosuchinvitation00001', cookie).set('Accept', 'application/json').expect(404)).body.code).toBe('INVITATION_NOT_FOUND');
      expect((await api().get('/api/auth/invitations/bad%20id').expect(400)).body.code).toBe('VALIDATION_FAILED');
    });

    it('another tenant’s invitation is not found through this tenant', async () => {
      const other = await api().post('/api/tenants').set(bearer(operator)).send({ slug: `other-${randomUUID().slice(0, 6)}`, name: 'Other' }).expect(201);
      const invitationId = (await invite((await person('x')).email, 'member').expect(201)).body.invitation.id as string;
      expect((await api().delete(`/api/tenants/${other.body.id as string}/invitations/${invitationId}`).set(bearer(operator)).expect(404)).body.code).toBe('INVITATION_NOT_FOUND');
      expect(await invitation(invitationId)).toMatchObject({ status: 'Pending' });
    });
  });

  describe('roles and removal', () => {
    it('replaces roles; the member’s earlier tokens are refused at once and the change is audited', async () => {
      const someone = await addMember(['admin']);
      const before = await memberToken(someone.id);
      await api().get(`/api/tenants/${tenantId}/members`).set(bearer(before)).expect(200);
      const changed = await api().put(`/api/tenants/${tenantId}/members/${someone.id}/roles`).set(bearer(operator)).send({ roles: ['member'] }).expect(200);
      expect(changed.body).toMatchObject({ userId: someone.id, roles: ['member'] });
      expect(await rolesOf(someone.id)).toEqual(['member']);
      await api().get(`/api/tenants/${tenantId}/members`).set(bearer(before)).expect(401);
      expect(await auditActions(someone.id)).toEqual(['member.roles_changed']);
      // The same roles again: nothing to change, nothing audited.
      await api().put(`/api/tenants/${tenantId}/members/${someone.id}/roles`).set(bearer(operator)).send({ roles: ['member'] }).expect(200);
      expect(await auditActions(someone.id)).toEqual(['member.roles_changed']);
    });

    it('unknown roles are 422 naming the valid ones; a platform-scoped role is refused even to operators', async () => {
      const someone = await addMember(['member']);
      const unknown = await api().put(`/api/tenants/${tenantId}/members/${someone.id}/roles`).set(bearer(operator)).send({ roles: ['member', 'wizard'] }).expect(422);
      expect(unknown.body).toMatchObject({ code: 'UNKNOWN_ROLE', detail: expect.stringContaining('valid roles: admin, billing-owner, member, owner, rogue') });
      const rogue = await api().put(`/api/tenants/${tenantId}/members/${someone.id}/roles`).set(bearer(operator)).send({ roles: ['rogue'] }).expect(409);
      expect(rogue.body).toMatchObject({ code: 'PLATFORM_SCOPED_ROLE', detail: expect.stringContaining('platform:read') });
      expect((await invite((await person('r')).email, 'rogue').expect(409)).body.code).toBe('PLATFORM_SCOPED_ROLE');
      expect(await rolesOf(someone.id)).toEqual(['member']);
    });

    it('an admin cannot grant or take away a role above their own; an operator can', async () => {
      const admin = await addMember(['admin']);
      const someone = await addMember(['member']);
      const token = await memberToken(admin.id);
      const escalation = await api().put(`/api/tenants/${tenantId}/members/${someone.id}/roles`).set(bearer(token)).send({ roles: ['billing-owner'] }).expect(403);
      expect(escalation.body).toMatchObject({ code: 'ROLE_ABOVE_CALLER', detail: expect.stringContaining('tenant:billing') });
      expect((await invite((await person('b')).email, 'billing-owner', token).expect(403)).body.code).toBe('ROLE_ABOVE_CALLER');
      // An admin may give what they hold (owner and admin have the same scopes).
      await api().put(`/api/tenants/${tenantId}/members/${someone.id}/roles`).set(bearer(token)).send({ roles: ['admin'] }).expect(200);
      await api().put(`/api/tenants/${tenantId}/members/${someone.id}/roles`).set(bearer(operator)).send({ roles: ['billing-owner'] }).expect(200);
      expect((await api().delete(`/api/tenants/${tenantId}/members/${someone.id}`).set(bearer(token)).expect(403)).body.code).toBe('ROLE_ABOVE_CALLER');
      // A reader is no admin at all.
      await api().put(`/api/tenants/${tenantId}/members/${someone.id}/roles`).set(bearer(await memberToken(admin.id, ['tenant:read']))).send({ roles: ['member'] }).expect(403);
      expect(await rolesOf(someone.id)).toEqual(['billing-owner']);
    });

    it('removes a member: gone in Logto, tokens refused, member.removed recorded; an unknown member is 404', async () => {
      const someone = await addMember(['member']);
      const token = await memberToken(someone.id, ['tenant:read']);
      await api().delete(`/api/tenants/${tenantId}/members/${someone.id}`).set(bearer(operator)).expect(204);
      expect(await rolesOf(someone.id)).toBeUndefined();
      await api().get(`/api/tenants/${tenantId}/members`).set(bearer(token)).expect(401);
      expect(await auditActions(someone.id)).toEqual(['member.removed']);
      // Audited like every change made through this API: who, and from where.
      const [audit] = await running.app.get(DataSource).query(`SELECT actor, host(source_ip) AS ip FROM audit_events WHERE target_id = $1`, [someone.id]);
      expect(audit).toEqual({ actor: expect.stringMatching(/\S/), ip: expect.stringMatching(/^[0-9a-f.:]+$/) });
      expect((await api().delete(`/api/tenants/${tenantId}/members/${someone.id}`).set(bearer(operator)).expect(404)).body.code).toBe('MEMBER_NOT_FOUND');
      expect((await api().put(`/api/tenants/${tenantId}/members/${someone.id}/roles`).set(bearer(operator)).send({ roles: ['member'] }).expect(404)).body.code).toBe('MEMBER_NOT_FOUND');
    });

    it('a removal through this API is not reported again by the drift pass as one Logto made without a webhook', async () => {
      const someone = await addMember(['member']);
      await api().post('/api/tenants/reconcile').set(bearer(operator)).expect(200); // the pass's snapshot holds them
      await api().delete(`/api/tenants/${tenantId}/members/${someone.id}`).set(bearer(operator)).expect(204);
      const report = await api().post('/api/tenants/reconcile').set(bearer(operator)).expect(200);
      expect(report.body.removedMembers).toEqual([]);
      expect(await auditActions(someone.id)).toEqual(['member.removed']);
    });

    it('the removal counts from Logto’s answer, not from before the call: a token Logto issued meanwhile is refused too', async () => {
      const someone = await addMember(['member']);
      // Every Management API call takes this long (under LOGTO_TIMEOUT_MS): the removal is recorded, then Logto's call runs.
      const logtoDelayMs = 600;
      await logto.idp.setFault('slow', { target: 'management', delayMs: logtoDelayMs });
      let answeredAt: number;
      try {
        await api().delete(`/api/tenants/${tenantId}/members/${someone.id}`).set(bearer(operator)).expect(204);
        answeredAt = Date.now();
      } finally {
        await logto.idp.setFault('none');
      }
      const [row] = await running.app.get(DataSource).query(`SELECT revoked_at FROM principal_revocations WHERE organization_id = $1 AND user_id = $2`, [organizationId, someone.id]);
      // Stamped before the Logto call, it would be a whole delay before the answer; a token issued in between would pass.
      expect(new Date(row.revoked_at as string).getTime()).toBeGreaterThan(answeredAt - logtoDelayMs / 2);
      expect(await auditActions(someone.id)).toEqual(['member.removed']);
    });

    it('a removal whose record cannot be written leaves the member in Logto (no removal without its revocation)', async () => {
      const someone = await addMember(['member']);
      const dataSource = running.app.get(DataSource);
      // A database fault on the revocation write, for this user only.
      await dataSource.query(`CREATE FUNCTION refuse_revocation() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$`);
      await dataSource.query(`CREATE TRIGGER refuse_revocation BEFORE INSERT OR UPDATE ON principal_revocations FOR EACH ROW WHEN (NEW.user_id = '${someone.id}') EXECUTE FUNCTION refuse_revocation()`);
      try {
        const answer = await api().delete(`/api/tenants/${tenantId}/members/${someone.id}`).set(bearer(operator));
        expect(answer.status).toBeGreaterThanOrEqual(500);
      } finally {
        await dataSource.query(`DROP TRIGGER refuse_revocation ON principal_revocations`);
        await dataSource.query(`DROP FUNCTION refuse_revocation()`);
      }
      expect(await rolesOf(someone.id)).toEqual(['member']);
      expect(await auditActions(someone.id)).toEqual([]);
    });

    it('removed, re-added by accepting an invitation, removed again: a second member.removed; the old token stays refused, the new one works until then', async () => {
      const someone = await addMember(['member']);
      const old = await memberToken(someone.id, ['tenant:read']);
      await api().delete(`/api/tenants/${tenantId}/members/${someone.id}`).set(bearer(operator)).expect(204);
      const invitationId = (await invite(someone.email, 'member').expect(201)).body.invitation.id as string;
      const cookie = await signIn(someone, acceptPage(invitationId));
      await post(invitationId, cookie).type('form').send('').expect(200);
      expect(await rolesOf(someone.id)).toEqual(['member']);
      // Re-adding lifts no revocation: the token from before the removal stays refused; one issued after it passes.
      await api().get(`/api/tenants/${tenantId}/members`).set(bearer(old)).expect(401);
      await nextSecond();
      const fresh = await memberToken(someone.id, ['tenant:read']);
      await api().get(`/api/tenants/${tenantId}/members`).set(bearer(fresh)).expect(200);

      await api().delete(`/api/tenants/${tenantId}/members/${someone.id}`).set(bearer(operator)).expect(204);
      await api().get(`/api/tenants/${tenantId}/members`).set(bearer(fresh)).expect(401);
      expect(await auditActions(someone.id)).toEqual(['member.removed', 'member.removed']);
      const feed = await api().get('/api/events').query({ limit: 1000 }).set(bearer(operator)).expect(200);
      const removals = (feed.body.items as { type: string; data: { userId: string; source: string } }[]).filter((event) => event.type === 'member.removed' && event.data.userId === someone.id);
      expect(removals.map((event) => event.data.source)).toEqual(['api', 'api']);
    });

    it('removed, re-added straight in Logto (no webhook here), removed again through the API: a second member.removed', async () => {
      const someone = await addMember(['member']);
      await api().delete(`/api/tenants/${tenantId}/members/${someone.id}`).set(bearer(operator)).expect(204);
      await logto.admin('POST', `/organizations/${organizationId}/users`, { userIds: [someone.id] });
      await api().delete(`/api/tenants/${tenantId}/members/${someone.id}`).set(bearer(operator)).expect(204);
      expect(await auditActions(someone.id)).toEqual(['member.removed', 'member.removed']);
    });

    it('keeps the last owner: no demotion, no removal (409 LAST_OWNER)', async () => {
      const tenant = await api().post('/api/tenants').set(bearer(operator)).send({ slug: `solo-${randomUUID().slice(0, 6)}`, name: 'Solo', ownerUserId: owner.id }).expect(201);
      const id = tenant.body.id as string;
      expect((await api().put(`/api/tenants/${id}/members/${owner.id}/roles`).set(bearer(operator)).send({ roles: ['admin'] }).expect(409)).body.code).toBe('LAST_OWNER');
      expect((await api().delete(`/api/tenants/${id}/members/${owner.id}`).set(bearer(operator)).expect(409)).body.code).toBe('LAST_OWNER');
      const listed = (await api().get(`/api/tenants/${id}/members`).set(bearer(operator)).expect(200)).body.items;
      expect(listed).toEqual([expect.objectContaining({ userId: owner.id, roles: ['owner'] })]);
    });

    itOnServer('two requests in parallel on separate connections')('two admins removing the last two owners at once: one succeeds, the other is LAST_OWNER', async () => {
      const tenant = await api().post('/api/tenants').set(bearer(operator)).send({ slug: `duo-${randomUUID().slice(0, 6)}`, name: 'Duo', ownerUserId: owner.id }).expect(201);
      const id = tenant.body.id as string;
      const organization = (await running.app.get(DataSource).query(`SELECT logto_organization_id FROM tenants WHERE id = $1`, [id]))[0].logto_organization_id as string;
      const second = await person('owner2');
      await logto.admin('POST', `/organizations/${organization}/users`, { userIds: [second.id] });
      await logto.admin('POST', `/organizations/${organization}/users/roles`, { userIds: [second.id], organizationRoleIds: [roleIds.owner] });
      const answers = await Promise.all([owner.id, second.id].map((userId) => api().delete(`/api/tenants/${id}/members/${userId}`).set(bearer(operator))));
      expect(answers.map((answer) => answer.status).sort()).toEqual([204, 409]);
      const listed = (await api().get(`/api/tenants/${id}/members`).set(bearer(operator)).expect(200)).body as { items: { roles: string[] }[] };
      const owners = listed.items.filter((member) => member.roles.includes('owner'));
      expect(owners).toHaveLength(1);
    });

    it('Logto down: 503 and nothing changed (no role change, no audit record, no revocation)', async () => {
      const someone = await addMember(['member']);
      const token = await memberToken(someone.id, ['tenant:read']);
      await logto.idp.setFault('down', { target: 'management' });
      try {
        const answer = await api().put(`/api/tenants/${tenantId}/members/${someone.id}/roles`).set(bearer(operator)).send({ roles: ['admin'] }).expect(503);
        expect(answer.body.code).toBe('LOGTO_UNAVAILABLE');
        expect((await api().delete(`/api/tenants/${tenantId}/members/${someone.id}`).set(bearer(operator)).expect(503)).body.code).toBe('LOGTO_UNAVAILABLE');
        expect((await invite('down@example.com', 'member').expect(503)).body.code).toBe('LOGTO_UNAVAILABLE');
      } finally {
        await logto.idp.setFault('none');
      }
      expect(await rolesOf(someone.id)).toEqual(['member']);
      expect(await auditActions(someone.id)).toEqual([]);
      await api().get(`/api/tenants/${tenantId}/members`).set(bearer(token)).expect(200);
    });
  });
});
