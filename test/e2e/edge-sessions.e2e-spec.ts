import request from 'supertest';
import { DataSource } from 'typeorm';
import { AuditEvent } from '@app/security';
import { EdgeSessions, EdgeSessionsPurge } from '@app/edge-sessions';
import { eventually } from '../support/eventually';
import { startRefreshDouble, RefreshDouble } from '../support/logto-refresh-double';
import { createTestDatabase, RunningApp, startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { TestDatabase } from '../support/test-database';

const BASE = 'edge.cameleer.test';
const AUTH_ORIGIN = `https://auth.${BASE}`;
const EDGE_APP_ID = 'edge-app-under-test';
const COOKIE = '__Secure-cameleer_session';
const LOGIN_COOKIE = '__Secure-cameleer_login';

/** Set-Cookie lines of a response. */
function setCookies(response: request.Response): string[] {
  const header = response.headers['set-cookie'] as string[] | string | undefined;
  return header === undefined ? [] : Array.isArray(header) ? header : [header];
}

function cookieValue(response: request.Response, name: string): string | undefined {
  const line = setCookies(response).find((cookie) => cookie.startsWith(`${name}=`));
  return line?.slice(name.length + 1).split(';')[0];
}

/**
 * Browser sign-in at the edge (issue 15: the flow's steps 2, 3 and 5, sessions, the session API), on the real app
 * with the dev IdP's keys and a Logto token-endpoint DOUBLE (test/support/logto-refresh-double.ts) standing in for
 * Logto's sign-in page and grants, so that state, nonce, PKCE, rotation and outages can be driven exactly.
 */
describe('edge sessions: sign-in, sessions and sign-out', () => {
  let logto: TenantsIdp;
  let double: RefreshDouble;
  let database: TestDatabase;
  let running: RunningApp;
  let sessions: EdgeSessions;

  beforeAll(async () => {
    logto = await startTenantsIdp();
    double = await startRefreshDouble(logto.idp);
    database = await createTestDatabase();
    running = await startAppOn(
      database,
      logto.env({
        TENANT_BASE_DOMAIN: BASE,
        LOGTO_EDGE_APP_ID: EDGE_APP_ID,
        LOGTO_EDGE_APP_SECRET: 'edge-app-secret',
        LOGTO_INTERNAL_URL: double.url,
        PUBLIC_URL: `https://platform.example.test`,
        EDGE_SIGN_IN_RATE_LIMIT_MAX: '100000',
      }),
    );
    sessions = running.app.get(EdgeSessions);
  });
  afterAll(async () => {
    await running?.close();
    await database?.drop();
    await double?.stop();
    await logto?.stop();
  });

  const login = (rd: string) => request(running.server).get('/api/auth/login').query({ rd });

  /** Starts a sign-in; returns the login cookie and the authorization request's parameters. */
  async function startSignIn(rd = `https://acme.${BASE}/app?x=1`) {
    const response = await login(rd).expect(302);
    const authorize = new URL(response.headers.location as string);
    return { response, authorize, params: authorize.searchParams, loginCookie: cookieValue(response, LOGIN_COOKIE) ?? '' };
  }

  const callback = (query: Record<string, string>, loginCookie?: string) => {
    const call = request(running.server).get('/api/auth/callback').query(query);
    return loginCookie === undefined ? call : call.set('Cookie', `${LOGIN_COOKIE}=${loginCookie}`);
  };

  /** A whole sign-in as `subject`, with the ID token altered as given; returns the callback's response (302 expected unless `status`). */
  async function signIn(subject: string, idToken: { claims?: Record<string, unknown>; header?: Record<string, unknown>; status?: number } = {}) {
    const started = await startSignIn();
    const code = double.issueCode({
      subject,
      nonce: started.params.get('nonce') ?? '',
      codeChallenge: started.params.get('code_challenge') ?? '',
      clientId: EDGE_APP_ID,
      idTokenClaims: idToken.claims,
      idTokenHeader: idToken.header,
    });
    return callback({ code, state: started.params.get('state') ?? '' }, started.loginCookie).expect(idToken.status ?? 302);
  }

  describe('sign-in start', () => {
    it('redirects to Logto with code + PKCE S256, the scopes, the resource, state and nonce, and sets a single-use login cookie', async () => {
      const { response, authorize, params } = await startSignIn();
      expect(`${authorize.origin}${authorize.pathname}`).toBe(`${logto.idp.issuer}/auth`);
      expect(params.get('client_id')).toBe(EDGE_APP_ID);
      expect(params.get('response_type')).toBe('code');
      expect(params.get('redirect_uri')).toBe(`${AUTH_ORIGIN}/api/auth/callback`);
      expect(params.get('scope')).toBe('openid offline_access profile urn:logto:scope:organizations urn:logto:scope:organization_roles tenant:read tenant:admin');
      expect(params.get('resource')).toBe(logto.idp.apiResource);
      expect(params.get('code_challenge_method')).toBe('S256');
      expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(params.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const [cookie] = setCookies(response);
      expect(cookie).toMatch(new RegExp(`^${LOGIN_COOKIE}=[A-Za-z0-9_-]{43}; Path=/api/auth/callback; Max-Age=600; HttpOnly; Secure; SameSite=Lax$`));
      expect(response.headers['cache-control']).toBe('no-store');
    });

    it.each([
      ['another site', 'https://evil.example/'],
      ['a look-alike suffix', `https://acme.${BASE}.evil.example/`],
      ['the base domain glued on', `https://evil${BASE}/`],
      ['plain http', `http://acme.${BASE}/`],
      ['a port', `https://acme.${BASE}:8443/`],
      ['credentials', `https://user:pw@acme.${BASE}/`],
      ['a backslash', `https://evil.example\\@acme.${BASE}/`],
      ['scheme-relative', `//evil.example/`],
      ['a relative path', '/app'],
      ['javascript:', `javascript:alert(1)//acme.${BASE}`],
      ['a data URL', 'data:text/html,<script>alert(1)</script>'],
      ['whitespace', ` https://acme.${BASE}/`],
      ['a tab', `https://acme.${BASE}/\t`],
      ['a newline', `https://acme.${BASE}/%0a`.replace('%0a', '\n')],
      ['too long', `https://acme.${BASE}/${'a'.repeat(2100)}`],
      ['the base domain itself', `https://${BASE}/`],
    ])('refuses rd with %s: 400 problem, no redirect, no cookie', async (_name, rd) => {
      const response = await login(rd).expect(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.body.code).toBe('INVALID_REDIRECT');
      expect(response.headers.location).toBeUndefined();
      expect(setCookies(response)).toEqual([]);
    });

    it('refuses a missing or repeated rd (400 problem)', async () => {
      expect((await request(running.server).get('/api/auth/login').expect(400)).body.code).toBe('INVALID_REDIRECT');
      expect((await request(running.server).get(`/api/auth/login?rd=${encodeURIComponent(`https://a.${BASE}/`)}&rd=${encodeURIComponent(`https://b.${BASE}/`)}`).expect(400)).body.code).toBe('INVALID_REDIRECT');
    });

    it('accepts the platform’s own host (PUBLIC_URL)', async () => {
      await login('https://platform.example.test/console').expect(302);
    });
  });

  describe('callback attacks', () => {
    it('a callback without the login cookie is refused (400) and creates no session', async () => {
      const { params } = await startSignIn();
      const response = await callback({ code: 'whatever', state: params.get('state') ?? '' }).expect(400);
      expect(response.body.code).toBe('SIGN_IN_NOT_STARTED');
      expect(cookieValue(response, COOKIE)).toBeUndefined();
    });

    it('a forged state is refused and burns the attempt: the genuine state then fails too (single use)', async () => {
      const { params, loginCookie } = await startSignIn();
      const code = double.issueCode({ subject: 'alice', nonce: params.get('nonce') ?? '', codeChallenge: params.get('code_challenge') ?? '', clientId: EDGE_APP_ID });
      expect((await callback({ code, state: 'forged' }, loginCookie).expect(400)).body.code).toBe('SIGN_IN_INVALID');
      expect((await callback({ code, state: params.get('state') ?? '' }, loginCookie).expect(400)).body.code).toBe('SIGN_IN_INVALID');
    });

    it('the state of another browser’s sign-in is refused with this browser’s login cookie', async () => {
      const mine = await startSignIn();
      const theirs = await startSignIn();
      const code = double.issueCode({ subject: 'alice', nonce: theirs.params.get('nonce') ?? '', codeChallenge: theirs.params.get('code_challenge') ?? '', clientId: EDGE_APP_ID });
      expect((await callback({ code, state: theirs.params.get('state') ?? '' }, mine.loginCookie).expect(400)).body.code).toBe('SIGN_IN_INVALID');
    });

    it('a replayed callback (same login cookie, state and code) is refused after the first one succeeded', async () => {
      const started = await startSignIn();
      const code = double.issueCode({ subject: 'alice', nonce: started.params.get('nonce') ?? '', codeChallenge: started.params.get('code_challenge') ?? '', clientId: EDGE_APP_ID });
      const query = { code, state: started.params.get('state') ?? '' };
      await callback(query, started.loginCookie).expect(302);
      const replay = await callback(query, started.loginCookie).expect(400);
      expect(replay.body.code).toBe('SIGN_IN_INVALID');
      expect(cookieValue(replay, COOKIE)).toBeUndefined();
    });

    it('an expired sign-in (older than ten minutes) is refused', async () => {
      const started = await startSignIn();
      await running.app.get(DataSource).query(`UPDATE edge_sign_in_attempts SET expires_at = now() - interval '1 second'`);
      const code = double.issueCode({ subject: 'alice', nonce: started.params.get('nonce') ?? '', codeChallenge: started.params.get('code_challenge') ?? '', clientId: EDGE_APP_ID });
      expect((await callback({ code, state: started.params.get('state') ?? '' }, started.loginCookie).expect(400)).body.code).toBe('SIGN_IN_INVALID');
    });

    it('a browser (Accept: text/html) gets the refusal as a small escaped HTML page with the same status', async () => {
      const { params, loginCookie } = await startSignIn();
      const response = await callback({ error: 'access_denied', state: params.get('state') ?? '' }, loginCookie).set('Accept', 'text/html,application/xhtml+xml').expect(403);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.text).toContain('<h1>Sign-in refused</h1>');
      expect(response.text).not.toMatch(/<script|access_denied|stack/);
      expect(response.headers['content-security-policy']).toContain("default-src 'none'");
      const badRd = await login('https://evil.example/<script>').set('Accept', 'text/html').expect(400);
      expect(badRd.text).toContain('Invalid redirect target');
      expect(badRd.text).not.toContain('evil.example');
    });

    it('Logto’s error=access_denied ends the sign-in with a clear 403 problem', async () => {
      const { params, loginCookie } = await startSignIn();
      const response = await callback({ error: 'access_denied', state: params.get('state') ?? '' }, loginCookie).expect(403);
      expect(response.body.code).toBe('SIGN_IN_REFUSED');
      expect(response.body.detail).toMatch(/cancelled or refused/);
    });

    it('a code Logto does not know (or a PKCE verifier that does not match) is refused', async () => {
      const { params, loginCookie } = await startSignIn();
      const code = double.issueCode({ subject: 'alice', nonce: params.get('nonce') ?? '', codeChallenge: 'not-the-challenge-of-this-sign-in', clientId: EDGE_APP_ID });
      expect((await callback({ code, state: params.get('state') ?? '' }, loginCookie).expect(400)).body.code).toBe('SIGN_IN_INVALID');
    });

    it.each([
      ['another nonce', { claims: { nonce: 'replayed-nonce' } }],
      ['another audience', { claims: { aud: 'some-other-app' } }],
      ['another issuer', { claims: { iss: 'https://evil.example/oidc' } }],
      ['an expired ID token', { claims: { exp: Math.floor(Date.now() / 1000) - 3600 } }],
      ['an unknown kid', { header: { kid: 'not-a-logto-key' } }],
    ])('an ID token with %s is refused and creates no session', async (_name, idToken) => {
      const response = await signIn('mallory', { ...idToken, status: 400 });
      expect(response.body.code).toBe('SIGN_IN_INVALID');
      expect(cookieValue(response, COOKIE)).toBeUndefined();
      expect(await sessions.list('mallory')).toEqual([]);
    });

    it('Logto unreachable during the code exchange: 503 problem, no session', async () => {
      double.setMode('down');
      try {
        const { params, loginCookie } = await startSignIn();
        const response = await callback({ code: 'x', state: params.get('state') ?? '' }, loginCookie).expect(503);
        expect(response.body.code).toBe('LOGTO_UNAVAILABLE');
      } finally {
        double.setMode('up');
      }
    });
  });

  describe('sessions', () => {
    it('a completed sign-in sets the session cookie for every tenant host (a fresh id each time) and redirects to rd', async () => {
      const first = await signIn('alice');
      expect(first.headers.location).toBe(`https://acme.${BASE}/app?x=1`);
      const line = setCookies(first).find((cookie) => cookie.startsWith(`${COOKIE}=`));
      expect(line).toMatch(new RegExp(`^${COOKIE}=[A-Za-z0-9_-]{43}; Domain=${BASE.replace(/\./g, '\\.')}; Path=/; Max-Age=\\d+; HttpOnly; Secure; SameSite=Lax$`));
      // The login cookie is cleared.
      expect(setCookies(first).some((cookie) => cookie.startsWith(`${LOGIN_COOKIE}=;`) && cookie.includes('Max-Age=0'))).toBe(true);
      const second = await signIn('alice');
      expect(cookieValue(second, COOKIE)).not.toBe(cookieValue(first, COOKIE));

      const found = await sessions.find(cookieValue(first, COOKIE) ?? '');
      expect(found?.subject).toBe('alice');
      expect(found?.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('the table holds only the cookie’s hash and sealed tokens', async () => {
      const response = await signIn('carol');
      const cookie = cookieValue(response, COOKIE) ?? '';
      const rows = await running.app.get(DataSource).query<Record<string, unknown>[]>(`SELECT * FROM edge_sessions WHERE subject = 'carol'`);
      expect(rows).toHaveLength(1);
      const text = JSON.stringify(rows);
      expect(text).not.toContain(cookie);
      expect(text).not.toMatch(/eyJ/);
    });

    it('a tampered, foreign, malformed or empty session cookie finds no session', async () => {
      const cookie = cookieValue(await signIn('alice'), COOKIE) ?? '';
      const tampered = `${cookie.slice(0, -1)}${cookie.endsWith('A') ? 'B' : 'A'}`;
      for (const value of [tampered, 'A'.repeat(43), `${cookie}x`, cookie.slice(1), '', 'x'.repeat(4096), `${cookie};`]) {
        expect(await sessions.find(value)).toBeUndefined();
        expect(sessions.cachedSession(value)).toBeUndefined();
      }
      expect(await sessions.find(cookie)).toBeDefined();
    });
  });

  describe('expiry', () => {
    const sessionRow = async (cookie: string) => {
      const session = await sessions.find(cookie);
      const [row] = await running.app.get(DataSource).query<{ last_seen_at: Date; idle_expires_at: Date; created_at: Date }[]>(
        'SELECT last_seen_at, idle_expires_at, created_at FROM edge_sessions WHERE id = $1',
        [session?.id],
      );
      return row;
    };

    it('a session past its idle expiry or its absolute expiry is no session', async () => {
      const idle = cookieValue(await signIn('ella'), COOKIE) ?? '';
      const old = cookieValue(await signIn('ella'), COOKIE) ?? '';
      await running.app.get(DataSource).query(`UPDATE edge_sessions SET idle_expires_at = now() - interval '1 second' WHERE subject = 'ella' AND cookie_hash = encode(sha256($1::bytea), 'hex')`, [idle]);
      await running.app.get(DataSource).query(
        `UPDATE edge_sessions SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second', idle_expires_at = now() - interval '1 second' WHERE cookie_hash = encode(sha256($1::bytea), 'hex')`,
        [old],
      );
      expect(await sessions.find(idle)).toBeUndefined();
      expect(await sessions.find(old)).toBeUndefined();
    });

    it('using a session moves its idle expiry at most once a minute, never past the absolute expiry', async () => {
      const cookie = cookieValue(await signIn('fred'), COOKIE) ?? '';
      const before = await sessionRow(cookie);
      await sessions.find(cookie);
      await sessions.find(cookie);
      expect(await sessionRow(cookie)).toEqual(before);

      const stale = cookieValue(await signIn('fred'), COOKIE) ?? '';
      await running.app.get(DataSource).query(
        `UPDATE edge_sessions SET last_seen_at = now() - interval '2 minutes', idle_expires_at = now() + interval '1 minute' WHERE cookie_hash = encode(sha256($1::bytea), 'hex')`,
        [stale],
      );
      expect(await sessions.find(stale)).toBeDefined();
      await eventually(async () => expect((await sessionRow(stale))?.idle_expires_at.getTime()).toBeGreaterThan(Date.now() + 7 * 3_600_000), { within: 5000 });
    });
  });

  it('the purge deletes expired sessions (with their organization tokens) and stale sign-in attempts, and nothing else', async () => {
    const live = cookieValue(await signIn('gail'), COOKIE) ?? '';
    const expired = cookieValue(await signIn('gail'), COOKIE) ?? '';
    await startSignIn();
    const db = running.app.get(DataSource);
    await db.query(`UPDATE edge_sessions SET idle_expires_at = now() - interval '1 second' WHERE cookie_hash = encode(sha256($1::bytea), 'hex')`, [expired]);
    await db.query(`UPDATE edge_sign_in_attempts SET expires_at = now() - interval '1 second'`);
    await running.app.get(EdgeSessionsPurge).purge();
    const left = await db.query<{ n: string }[]>(`SELECT count(*) AS n FROM edge_sessions WHERE cookie_hash IN (encode(sha256($1::bytea), 'hex'), encode(sha256($2::bytea), 'hex'))`, [live, expired]);
    expect(Number(left[0]?.n)).toBe(1);
    expect(await db.query(`SELECT 1 FROM edge_sign_in_attempts WHERE expires_at < now()`)).toEqual([]);
    expect(await sessions.find(live)).toBeDefined();
  });

  describe('organization tokens', () => {
    async function sessionOf(subject: string, organizations: string[]) {
      double.setMemberships(subject, organizations);
      const cookie = cookieValue(await signIn(subject), COOKIE) ?? '';
      const session = await sessions.find(cookie);
      if (session === undefined) {
        throw new Error('no session');
      }
      return { cookie, session };
    }

    it('obtains an organization token by the refresh-token grant, stores the rotated refresh token, and serves it from cache', async () => {
      const { session } = await sessionOf('olga', ['org-1']);
      const granted = double.stats.granted;
      const token = await sessions.organizationToken(session, 'org-1');
      expect(JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>).toMatchObject({ sub: 'olga', organization_id: 'org-1', aud: logto.idp.apiResource });
      expect(sessions.cachedOrganizationToken(session.id, 'org-1')).toBe(token);
      expect(await sessions.organizationToken(session, 'org-1')).toBe(token);
      expect(double.stats.granted).toBe(granted + 1);
      // A second organization spends the rotated refresh token: Logto would refuse the first one now.
      await sessions.organizationToken(session, 'org-2').catch(() => undefined);
      double.setMemberships('olga', ['org-1', 'org-3']);
      const reused = double.stats.reused;
      await sessions.organizationToken(session, 'org-3');
      expect(double.stats.reused).toBe(reused);
    });

    it('concurrent requests for one organization spend the refresh token once', async () => {
      const { session } = await sessionOf('pete', ['org-1']);
      double.setDelay(100);
      try {
        const reused = double.stats.reused;
        const tokens = await Promise.all(Array.from({ length: 5 }, () => sessions.organizationToken(session, 'org-1')));
        expect(new Set(tokens).size).toBe(1);
        expect(double.stats.reused).toBe(reused);
      } finally {
        double.setDelay(0);
      }
    });

    it('a non-member: NOT_A_MEMBER, and the session stays', async () => {
      const { cookie, session } = await sessionOf('nina', ['org-1']);
      await expect(sessions.organizationToken(session, 'org-other')).rejects.toMatchObject({ code: 'NOT_A_MEMBER' });
      expect(await sessions.find(cookie)).toEqual(session);
      await expect(sessions.organizationToken(session, 'org-1')).resolves.toEqual(expect.any(String));
    });

    it('Logto down during refresh: LOGTO_UNAVAILABLE (503), the session and its refresh token are kept', async () => {
      const { cookie, session } = await sessionOf('dora', ['org-1']);
      double.setMode('down');
      try {
        await expect(sessions.organizationToken(session, 'org-1')).rejects.toMatchObject({ code: 'LOGTO_UNAVAILABLE', spec: { status: 503 } });
      } finally {
        double.setMode('up');
      }
      expect(await sessions.find(cookie)).toEqual(session);
      await expect(sessions.organizationToken(session, 'org-1')).resolves.toEqual(expect.any(String));
    });

    it('Logto hanging during refresh: LOGTO_UNAVAILABLE after the call timeout, session kept', async () => {
      const { cookie, session } = await sessionOf('hank', ['org-1']);
      double.setMode('hang');
      try {
        await expect(sessions.organizationToken(session, 'org-1')).rejects.toMatchObject({ code: 'LOGTO_UNAVAILABLE' });
      } finally {
        double.setMode('up');
      }
      expect(await sessions.find(cookie)).toEqual(session);
    });

    it('Logto refusing the refresh token ends the session (SESSION_ENDED, 401) on the spot', async () => {
      const { cookie, session } = await sessionOf('rita', ['org-1']);
      // Logto revoked the user's grants (e.g. an administrator removed the user's sessions there).
      double.revokeRefreshTokens('rita');
      await expect(sessions.organizationToken(session, 'org-1')).rejects.toMatchObject({ code: 'SESSION_ENDED', spec: { status: 401 } });
      expect(sessions.cachedSession(cookie)).toBeUndefined();
      expect(await sessions.find(cookie)).toBeUndefined();
    });
  });

  describe('session API', () => {
    it('lists the caller’s own sessions; ends one; another user’s session is 404', async () => {
      await signIn('sam');
      const samCookie = cookieValue(await signIn('sam'), COOKIE) ?? '';
      const otherCookie = cookieValue(await signIn('ursula'), COOKIE) ?? '';
      const samToken = await logto.idp.mintUserToken({ sub: 'sam', scopes: [] });
      const listed = await request(running.server).get('/api/auth/sessions').auth(samToken, { type: 'bearer' }).expect(200);
      expect(listed.headers['cache-control']).toBe('no-store');
      expect(listed.body.items).toHaveLength(2);
      expect(JSON.stringify(listed.body)).not.toContain(samCookie);
      expect(Object.keys(listed.body.items[0] as object).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastSeenAt', 'sourceIp', 'userAgent']);

      const other = await sessions.find(otherCookie);
      await request(running.server).delete(`/api/auth/sessions/${other?.id ?? ''}`).auth(samToken, { type: 'bearer' }).expect(404);
      expect(await sessions.find(otherCookie)).toBeDefined();
      await request(running.server).delete('/api/auth/sessions/not-a-uuid').auth(samToken, { type: 'bearer' }).expect(404);

      const mine = await sessions.find(samCookie);
      await request(running.server).delete(`/api/auth/sessions/${mine?.id ?? ''}`).auth(samToken, { type: 'bearer' }).expect(204);
      expect(sessions.cachedSession(samCookie)).toBeUndefined();
      expect(await sessions.find(samCookie)).toBeUndefined();
      await request(running.server).get('/api/auth/sessions').expect(401);
    });

    it('operators end all of a user’s sessions (platform:write, audited); others get 403', async () => {
      const cookies = [cookieValue(await signIn('victor'), COOKIE) ?? '', cookieValue(await signIn('victor'), COOKIE) ?? ''];
      for (const cookie of cookies) {
        expect(await sessions.find(cookie)).toBeDefined();
      }
      const reader = await logto.operatorToken(['platform:read']);
      await request(running.server).delete('/api/users/victor/sessions').auth(reader, { type: 'bearer' }).expect(403);
      const operator = await logto.operatorToken();
      const response = await request(running.server).delete('/api/users/victor/sessions').auth(operator, { type: 'bearer' }).expect(200);
      expect(response.body).toEqual({ ended: 2 });
      for (const cookie of cookies) {
        expect(await sessions.find(cookie)).toBeUndefined();
      }
      const audit = await running.app.get(DataSource).getRepository(AuditEvent).findOneBy({ action: 'edge_sessions.revoked', targetId: 'victor' });
      expect(audit?.actor).toBe('operator:user:op');
      await request(running.server).delete(`/api/users/${encodeURIComponent('bad sub')}/sessions`).auth(operator, { type: 'bearer' }).expect(400);
      await request(running.server).delete(`/api/users/${encodeURIComponent('../tenants')}/sessions`).auth(operator, { type: 'bearer' }).expect(400);
      // Ended already: nothing to end, nothing audited.
      await request(running.server).delete('/api/users/victor/sessions').auth(operator, { type: 'bearer' }).expect(404);
      expect(await running.app.get(DataSource).getRepository(AuditEvent).countBy({ action: 'edge_sessions.revoked', targetId: 'victor' })).toBe(1);
    });
  });

  describe('sign-out', () => {
    it('GET shows a small confirmation form that posts to itself, under a CSP that lets it post and go on to Logto', async () => {
      const response = await request(running.server).get('/api/auth/logout').expect(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.text).toContain('<form method="post" action="/api/auth/logout">');
      expect(response.text).not.toContain('<script');
      expect(response.headers['content-security-policy']).toBe(`default-src 'none'; style-src 'unsafe-inline'; form-action 'self' ${new URL(logto.idp.issuer).origin}; frame-ancestors 'none'; base-uri 'none'`);
    });

    it('POST from the sign-in origin ends the session, clears the cookie and goes to Logto’s end-session with id_token_hint', async () => {
      const cookie = cookieValue(await signIn('lena'), COOKIE) ?? '';
      const response = await request(running.server)
        .post('/api/auth/logout')
        .set('Origin', AUTH_ORIGIN)
        .set('Cookie', `${COOKIE}=${cookie}`)
        .set('Content-Type', 'application/x-www-form-urlencoded')
        .send('')
        .expect(303);
      const next = new URL(response.headers.location as string);
      expect(`${next.origin}${next.pathname}`).toBe(`${logto.idp.issuer}/session/end`);
      expect(next.searchParams.get('post_logout_redirect_uri')).toBe(`${AUTH_ORIGIN}/api/auth/signed-out`);
      expect(next.searchParams.get('client_id')).toBe(EDGE_APP_ID);
      expect(next.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
      expect(setCookies(response)).toContain(`${COOKIE}=; Domain=${BASE}; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax`);
      expect(await sessions.find(cookie)).toBeUndefined();
    });

    it('POST from a tenant origin is accepted; without a session it goes to the signed-out page', async () => {
      const response = await request(running.server).post('/api/auth/logout').set('Origin', `https://acme.${BASE}`).expect(303);
      expect(response.headers.location).toBe(`${AUTH_ORIGIN}/api/auth/signed-out`);
    });

    it.each([
      ['no Origin', undefined],
      ['a foreign origin', 'https://evil.example'],
      ['a look-alike', `https://acme.${BASE}.evil.example`],
      ['plain http', `http://acme.${BASE}`],
      ['an opaque origin', 'null'],
    ])('POST with %s is refused (403) and the session stays', async (_name, origin) => {
      const cookie = cookieValue(await signIn('ivan'), COOKIE) ?? '';
      const call = request(running.server).post('/api/auth/logout').set('Cookie', `${COOKIE}=${cookie}`);
      const response = await (origin === undefined ? call : call.set('Origin', origin)).expect(403);
      expect(response.body.code).toBe('FOREIGN_ORIGIN');
      expect(await sessions.find(cookie)).toBeDefined();
    });

    it('a form body is accepted only on the sign-out route (everything else keeps answering 415)', async () => {
      const operator = await logto.operatorToken();
      await request(running.server).post('/api/tenants').auth(operator, { type: 'bearer' }).set('Content-Type', 'application/x-www-form-urlencoded').send('slug=a').expect(415);
    });

    it('the signed-out page is public, small and leaks nothing', async () => {
      const response = await request(running.server).get('/api/auth/signed-out').expect(200);
      expect(response.text).toContain('Signed out');
      expect(response.text).not.toMatch(/<script|eyJ/);
    });
  });

  it('rate-limits the sign-in routes per client address, apart from the other routes', async () => {
    const limited = await startAppOn(
      database,
      logto.env({ TENANT_BASE_DOMAIN: BASE, LOGTO_EDGE_APP_ID: EDGE_APP_ID, LOGTO_EDGE_APP_SECRET: 's', LOGTO_INTERNAL_URL: double.url, EDGE_SIGN_IN_RATE_LIMIT_MAX: '3' }),
    );
    try {
      for (let i = 0; i < 3; i++) {
        await request(limited.server).get('/api/auth/login').query({ rd: 'https://evil.example/' }).expect(400);
      }
      // The throttler keeps a bucket per route (as for every route): the fourth sign-in start is refused.
      const refused = await request(limited.server).get('/api/auth/login').query({ rd: `https://acme.${BASE}/` }).expect(429);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      expect(refused.headers['retry-after']).toBeDefined();
      for (let i = 0; i < 3; i++) {
        await request(limited.server).post('/api/auth/logout').set('Origin', AUTH_ORIGIN).expect(303);
      }
      await request(limited.server).post('/api/auth/logout').set('Origin', AUTH_ORIGIN).expect(429);
      await request(limited.server).get('/api/health').expect(200);
    } finally {
      await limited.close();
    }
  });

  it('Logto unreachable when a sign-in starts: 503 problem, no login cookie', async () => {
    const cut = await startAppOn(
      database,
      logto.env({ TENANT_BASE_DOMAIN: BASE, LOGTO_EDGE_APP_ID: EDGE_APP_ID, LOGTO_EDGE_APP_SECRET: 's', LOGTO_INTERNAL_URL: 'http://127.0.0.1:9' }),
    );
    try {
      const response = await request(cut.server).get('/api/auth/login').query({ rd: `https://acme.${BASE}/` }).expect(503);
      expect(response.body.code).toBe('LOGTO_UNAVAILABLE');
      expect(setCookies(response)).toEqual([]);
    } finally {
      await cut.close();
    }
  });
});
