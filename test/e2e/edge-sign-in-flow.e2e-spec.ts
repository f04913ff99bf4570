import request from 'supertest';
import { DataSource } from 'typeorm';
import { EdgeSessions } from '@app/edge-sessions';
import { eventually } from '../support/eventually';
import { createTestDatabase, RunningApp, startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { requiresServer, TestDatabase } from '../support/test-database';

const BASE = 'flow.cameleer.test';
const AUTH_ORIGIN = `https://auth.${BASE}`;
const COOKIE = '__Secure-cameleer_session';
const LOGIN_COOKIE = '__Secure-cameleer_login';

function cookieValue(response: request.Response, name: string): string | undefined {
  const header = response.headers['set-cookie'] as string[] | string | undefined;
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  return lines.find((line) => line.startsWith(`${name}=`))?.slice(name.length + 1).split(';')[0];
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * Browser sign-in at the edge against the real dev IdP (authorization code + PKCE through its sign-in page, its
 * ID tokens, its organization refresh grant with rotation, RP-initiated logout), and what must hold across two
 * replicas on one database: one refresh per organization however the requests race, revocation within a second.
 */
describe('edge sign-in with the dev IdP', () => {
  const onServer = requiresServer('two app instances sharing sessions and notifying each other through LISTEN/NOTIFY');
  let logto: TenantsIdp;
  let database: TestDatabase;
  let first: RunningApp;
  let second: RunningApp | undefined;
  let firstSessions: EdgeSessions;

  beforeAll(async () => {
    logto = await startTenantsIdp();
    const edgeApp = await logto.idp.registerEdgeApp({ redirectUris: [`${AUTH_ORIGIN}/api/auth/callback`], postLogoutRedirectUris: [`${AUTH_ORIGIN}/api/auth/signed-out`] });
    database = await createTestDatabase();
    const env = logto.env({ TENANT_BASE_DOMAIN: BASE, LOGTO_EDGE_APP_ID: edgeApp.clientId, LOGTO_EDGE_APP_SECRET: edgeApp.clientSecret, EDGE_SIGN_IN_RATE_LIMIT_MAX: '100000' });
    for (const name of ['alice', 'bob']) {
      await logto.admin('POST', '/users', { username: name, password: `${name}-Passw0rd` });
    }
    first = await startAppOn(database, env);
    firstSessions = first.app.get(EdgeSessions);
    if (onServer) {
      second = await startAppOn(database, env);
    }
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await database?.drop();
    await logto?.stop();
  });

  /** Signs in through the dev IdP's sign-in page as a browser would; returns the session cookie and where it went. */
  async function signIn(username: string, rd = `https://acme.${BASE}/`): Promise<{ cookie: string; location: string; subject: string }> {
    const login = await request(first.server).get('/api/auth/login').query({ rd }).expect(302);
    const callbackUrl = new URL(await logto.idp.signInWithPassword({ authorizeUrl: login.headers.location as string, username, password: `${username}-Passw0rd` }));
    expect(`${callbackUrl.origin}${callbackUrl.pathname}`).toBe(`${AUTH_ORIGIN}/api/auth/callback`);
    const callback = await request(first.server)
      .get(`/api/auth/callback${callbackUrl.search}`)
      .set('Cookie', `${LOGIN_COOKIE}=${cookieValue(login, LOGIN_COOKIE) ?? ''}`)
      .expect(302);
    const cookie = cookieValue(callback, COOKIE) ?? '';
    const session = await firstSessions.find(cookie);
    if (session === undefined) {
      throw new Error('the sign-in created no session');
    }
    return { cookie, location: callback.headers.location as string, subject: session.subject };
  }

  async function organizationWith(members: string[]): Promise<string> {
    const { id } = await logto.admin<{ id: string }>('POST', '/organizations', { name: `org-${Math.random().toString(36).slice(2, 10)}` });
    if (members.length > 0) {
      await logto.admin('POST', `/organizations/${id}/users`, { userIds: members });
    }
    return id;
  }

  it('signs in through Logto’s sign-in page and lands on rd with a session; organization tokens for members only', async () => {
    const alice = await signIn('alice', `https://acme.${BASE}/dashboards?tab=1`);
    expect(alice.location).toBe(`https://acme.${BASE}/dashboards?tab=1`);
    const session = await firstSessions.find(alice.cookie);
    const member = await organizationWith([alice.subject]);
    const token = await firstSessions.organizationToken(session!, member);
    expect(claimsOf(token)).toMatchObject({ sub: alice.subject, organization_id: member, aud: logto.idp.apiResource, iss: logto.idp.issuer });

    const foreign = await organizationWith([]);
    await expect(firstSessions.organizationToken(session!, foreign)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
    expect(await firstSessions.find(alice.cookie)).toEqual(session);
  });

  it('Logto down during refresh: LOGTO_UNAVAILABLE (503), the session kept and usable once Logto is back', async () => {
    const bob = await signIn('bob');
    const session = await firstSessions.find(bob.cookie);
    const organization = await organizationWith([bob.subject]);
    await logto.idp.setFault('down');
    try {
      await expect(firstSessions.organizationToken(session!, organization)).rejects.toMatchObject({ code: 'LOGTO_UNAVAILABLE', spec: { status: 503 } });
    } finally {
      await logto.idp.setFault('none');
    }
    expect(await firstSessions.find(bob.cookie)).toEqual(session);
    await expect(firstSessions.organizationToken(session!, organization)).resolves.toEqual(expect.any(String));
  });

  it('signs out: the session ends and Logto’s end-session returns to the registered signed-out page', async () => {
    const alice = await signIn('alice');
    const logout = await request(first.server).post('/api/auth/logout').set('Origin', AUTH_ORIGIN).set('Cookie', `${COOKIE}=${alice.cookie}`).expect(303);
    expect(await firstSessions.find(alice.cookie)).toBeUndefined();
    const returnedTo = await logto.idp.endSession(logout.headers.location as string);
    expect(returnedTo.split('?')[0]).toBe(`${AUTH_ORIGIN}/api/auth/signed-out`);
  });

  (onServer ? it : it.skip)('two replicas racing for one organization spend the rotating refresh token once, and the session lives on', async () => {
    const alice = await signIn('alice');
    const organization = await organizationWith([alice.subject]);
    const other = await organizationWith([alice.subject]);
    const secondSessions = second!.app.get(EdgeSessions);
    const onFirst = await firstSessions.find(alice.cookie);
    const onSecond = await secondSessions.find(alice.cookie);
    const tokens = await Promise.all([
      ...Array.from({ length: 3 }, () => firstSessions.organizationToken(onFirst!, organization)),
      ...Array.from({ length: 3 }, () => secondSessions.organizationToken(onSecond!, organization)),
    ]);
    expect(new Set(tokens).size).toBe(1);
    // Had both replicas spent the same refresh token, Logto would refuse the rotated one (reuse) and end the session.
    await expect(secondSessions.organizationToken(onSecond!, other)).resolves.toEqual(expect.any(String));
    await expect(firstSessions.organizationToken(onFirst!, other)).resolves.toEqual(expect.any(String));
    expect(await firstSessions.find(alice.cookie)).toBeDefined();
  });

  (onServer ? it : it.skip)('a removed member: the next organization token is refused (NOT_A_MEMBER) on a replica without a cached one', async () => {
    const bob = await signIn('bob');
    const organization = await organizationWith([bob.subject]);
    await firstSessions.organizationToken((await firstSessions.find(bob.cookie))!, organization);
    await logto.admin('DELETE', `/organizations/${organization}/users/${bob.subject}`);
    // The stored token expires; the second replica has none cached and must ask Logto again.
    await first.app.get(DataSource).query(`UPDATE edge_session_organization_tokens SET expires_at = now() WHERE organization_id = $1`, [organization]);
    const secondSessions = second!.app.get(EdgeSessions);
    await expect(secondSessions.organizationToken((await secondSessions.find(bob.cookie))!, organization)).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
  });

  (onServer ? it : it.skip)('a session revoked on one replica stops working on the other within a second (owner and operator)', async () => {
    const secondSessions = second!.app.get(EdgeSessions);
    const alice = await signIn('alice');
    const session = await secondSessions.find(alice.cookie);
    expect(secondSessions.cachedSession(alice.cookie)).toEqual(session);
    const aliceToken = await logto.idp.mintUserToken({ sub: alice.subject, scopes: [] });
    await request(first.server).delete(`/api/auth/sessions/${session!.id}`).auth(aliceToken, { type: 'bearer' }).expect(204);
    await eventually(async () => {
      expect(secondSessions.cachedSession(alice.cookie)).toBeUndefined();
      expect(await secondSessions.find(alice.cookie)).toBeUndefined();
    }, { within: 1000 });

    const bob = await signIn('bob');
    const bobSession = await secondSessions.find(bob.cookie);
    const organization = await organizationWith([bob.subject]);
    await secondSessions.organizationToken(bobSession!, organization);
    expect(secondSessions.cachedOrganizationToken(bobSession!.id, organization)).toEqual(expect.any(String));
    await request(first.server).delete(`/api/users/${bob.subject}/sessions`).auth(await logto.operatorToken(), { type: 'bearer' }).expect(200);
    await eventually(async () => {
      expect(secondSessions.cachedSession(bob.cookie)).toBeUndefined();
      expect(secondSessions.cachedOrganizationToken(bobSession!.id, organization)).toBeUndefined();
      expect(await secondSessions.find(bob.cookie)).toBeUndefined();
    }, { within: 1000 });
  });
});
