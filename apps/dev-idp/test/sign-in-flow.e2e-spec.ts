import { createHash, randomBytes } from 'node:crypto';

import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';

import { type DevIdp, startDevIdp } from '../../../test/support/dev-idp';

// The dev IdP's interactive half, as Logto's: authorization code (+ PKCE) for a Traditional app, the sign-in page,
// ID tokens with Logto's organization claims, Logto's refresh_token grant with organization_id, RP-initiated
// logout. The same flow runs against real Logto in the conformance suite (test/conformance).
const API = 'https://api.sign-in.test';
const REDIRECT = 'https://auth.sign-in.test/api/auth/callback';
const SIGNED_OUT = 'https://auth.sign-in.test/api/auth/signed-out';
const BASE_SCOPES = 'openid offline_access profile urn:logto:scope:organizations urn:logto:scope:organization_roles';

interface TokenAnswer {
  access_token?: string;
  id_token?: string;
  refresh_token?: string;
  scope?: string;
  error?: string;
  error_description?: string;
}

describe('dev IdP: sign-in flow of a Traditional app (Logto-compatible)', () => {
  let idp: DevIdp;
  let app: { clientId: string; clientSecret: string };
  let management: <T = unknown>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;
  let organizationId: string;
  let otherOrganizationId: string;

  beforeAll(async () => {
    idp = await startDevIdp({ apiResource: API, configFile: 'config/dev-idp.json', env: { EDGE_AUTH_HOST: 'auth.dev.test', DEV_EDGE_PORT: '18080' } });
    app = await idp.registerEdgeApp({ redirectUris: [REDIRECT], postLogoutRedirectUris: [SIGNED_OUT] });
    const admin = await idp.registerApp({ scopesByResource: { 'https://default.logto.app/api': ['all'] } });
    const token = await idp.clientCredentialsToken({ ...admin, resource: 'https://default.logto.app/api', scope: 'all' });
    management = async <T>(method: string, path: string, body?: unknown) => {
      const response = await fetch(`${idp.endpoint}/api${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T };
    };
    // alice: owner of one organization (config/dev-idp.json seeds the bootstrap's roles); bob: member of none.
    organizationId = (await management<{ id: string }>('POST', '/organizations', { name: 'Acme' })).body.id;
    otherOrganizationId = (await management<{ id: string }>('POST', '/organizations', { name: 'Other' })).body.id;
    await management('POST', `/organizations/${organizationId}/users`, { userIds: ['aliceown0001'] });
    await management('POST', `/organizations/${organizationId}/users/aliceown0001/roles`, { organizationRoleNames: ['owner'] });
  });

  afterAll(async () => {
    await idp?.stop();
  });

  const discovery = async () => (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, string>;

  const pkce = () => {
    const verifier = randomBytes(32).toString('base64url');
    return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
  };

  const authorizeUrl = (params: Record<string, string | undefined>) => {
    const url = new URL(`${idp.issuer}/auth`);
    const defaults = {
      client_id: app.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: `${BASE_SCOPES} tenant:read tenant:admin`,
      resource: API,
      prompt: 'consent',
      state: randomBytes(8).toString('base64url'),
      nonce: randomBytes(8).toString('base64url'),
    };
    for (const [name, value] of Object.entries({ ...defaults, ...params })) {
      if (value !== undefined) {
        url.searchParams.set(name, value);
      }
    }
    return url.toString();
  };

  const token = async (form: Record<string, string>, auth: 'basic' | 'post' = 'basic'): Promise<{ status: number; body: TokenAnswer }> => {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = new URLSearchParams(form);
    if (auth === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`;
    } else {
      body.set('client_id', app.clientId);
      body.set('client_secret', app.clientSecret);
    }
    const response = await fetch(`${idp.issuer}/token`, { method: 'POST', headers, body });
    return { status: response.status, body: (await response.json()) as TokenAnswer };
  };

  const signIn = async (username: string, password: string, params: Record<string, string | undefined> = {}) => {
    const { verifier, challenge } = pkce();
    const request = authorizeUrl({ code_challenge: challenge, code_challenge_method: 'S256', ...params });
    const callback = new URL(await idp.signInWithPassword({ authorizeUrl: request, username, password }));
    return { callback, verifier, request: new URL(request) };
  };

  const exchange = async (username: string, password: string) => {
    const { callback, verifier } = await signIn(username, password);
    const answer = await token({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(answer.status).toBe(200);
    return answer.body;
  };

  const verifyAccessToken = (jwt: string) =>
    jwtVerify(jwt, createRemoteJWKSet(new URL(idp.jwksUri)), { issuer: idp.issuer, audience: API, algorithms: ['ES384'], typ: 'at+jwt' });

  it('publishes the endpoints the edge reads from discovery', async () => {
    expect(await discovery()).toMatchObject({
      issuer: idp.issuer,
      authorization_endpoint: `${idp.issuer}/auth`,
      token_endpoint: `${idp.issuer}/token`,
      end_session_endpoint: `${idp.issuer}/session/end`,
      jwks_uri: `${idp.issuer}/jwks`,
    });
  });

  it('signs a seeded user in: code → ID token with the nonce and Logto organization claims, and a refresh token', async () => {
    const { callback, verifier, request } = await signIn('alice', 'alice-dev-password');
    expect(callback.searchParams.get('state')).toBe(request.searchParams.get('state'));
    const answer = await token({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier });
    expect(answer.status).toBe(200);
    expect(typeof answer.body.refresh_token).toBe('string');
    const { payload } = await jwtVerify(answer.body.id_token!, createRemoteJWKSet(new URL(idp.jwksUri)), {
      issuer: idp.issuer,
      audience: app.clientId,
      algorithms: ['ES384'],
    });
    expect(payload).toMatchObject({
      sub: 'aliceown0001',
      nonce: request.searchParams.get('nonce'),
      username: 'alice',
      name: 'Alice Owner',
      organizations: [organizationId],
      organization_roles: [`${organizationId}:owner`],
    });
  });

  it('a wrong password shows the page again with one generic message, and no code', async () => {
    await expect(idp.signInWithPassword({ authorizeUrl: authorizeUrl({}), username: 'alice', password: 'wrong' })).rejects.toThrow(
      /refused alice: Wrong username or password\./,
    );
    await expect(idp.signInWithPassword({ authorizeUrl: authorizeUrl({}), username: 'nobody', password: 'x' })).rejects.toThrow(
      /Wrong username or password\./,
    );
  });

  it('the sign-in page escapes what it echoes', async () => {
    const start = await fetch(authorizeUrl({}), { redirect: 'manual' });
    const cookies = start.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    const pagePath = start.headers.get('location')!;
    const response = await fetch(new URL(`${pagePath}/login`, idp.endpoint), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: cookies, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: '"><script>alert(1)</script>', password: 'x' }),
    });
    const html = await response.text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#34;&#62;&#60;script&#62;');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('a sign-in page without its interaction cookie is refused (no CSRF, no redirect)', async () => {
    const start = await fetch(authorizeUrl({}), { redirect: 'manual' });
    const pagePath = start.headers.get('location')!;
    const response = await fetch(new URL(`${pagePath}/login`, idp.endpoint), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username: 'alice', password: 'alice-dev-password' }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
  });

  it('signs in a user created through the Management API with a password', async () => {
    const created = await management<{ id: string }>('POST', '/users', { username: 'carol', password: 'carol-Passw0rd' });
    expect(created.status).toBe(200);
    const answer = await exchange('carol', 'carol-Passw0rd');
    expect(decodeJwt(answer.id_token!)).toMatchObject({ sub: created.body.id, organizations: [] });
  });

  it("npm start's edge app (config/dev-idp.json): fixed credentials, redirect URIs on EDGE_AUTH_HOST and DEV_EDGE_PORT", async () => {
    const devRedirect = 'http://auth.dev.test:18080/api/auth/callback';
    const callback = new URL(
      await idp.signInWithPassword({
        authorizeUrl: authorizeUrl({ client_id: 'cameleer-edge-dev', redirect_uri: devRedirect }),
        username: 'bob',
        password: 'bob-dev-password',
      }),
    );
    expect(callback.origin + callback.pathname).toBe(devRedirect);
    const response = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('cameleer-edge-dev:development-only-not-a-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: devRedirect }),
    });
    expect(response.status).toBe(200);
    const secrets = await management<{ name: string; value: string }[]>('GET', '/applications/cameleer-edge-dev/secrets');
    expect(secrets.body).toEqual([expect.objectContaining({ name: 'Default secret', value: 'development-only-not-a-secret' })]);
  });

  describe('PKCE and the authorization code', () => {
    it('a code asked for with a challenge needs its verifier: missing or wrong → invalid_grant', async () => {
      const { callback } = await signIn('alice', 'alice-dev-password');
      const code = callback.searchParams.get('code')!;
      expect(await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT })).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      const second = await signIn('alice', 'alice-dev-password');
      expect(
        await token({ grant_type: 'authorization_code', code: second.callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: pkce().verifier }),
      ).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    });

    it('only S256: a plain challenge is refused at the authorization endpoint', async () => {
      const callback = new URL(
        await idp.signInWithPassword({
          authorizeUrl: authorizeUrl({ code_challenge: pkce().verifier, code_challenge_method: 'plain' }),
          username: 'alice',
          password: 'alice-dev-password',
        }),
      );
      expect(callback.searchParams.get('error')).toBe('invalid_request');
      expect(callback.searchParams.get('code')).toBeNull();
    });

    it('a code is single use; its reuse is invalid_grant', async () => {
      const { callback, verifier } = await signIn('alice', 'alice-dev-password');
      const form = { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier };
      expect((await token(form)).status).toBe(200);
      expect(await token(form)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    });

    it('the token request must name the redirect_uri of the authorization request', async () => {
      const { callback, verifier } = await signIn('alice', 'alice-dev-password');
      const answer = await token({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: `${REDIRECT}x`, code_verifier: verifier });
      expect(answer).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    });

    it('an unregistered redirect_uri is refused at the authorization endpoint, without redirecting to it', async () => {
      const response = await fetch(authorizeUrl({ redirect_uri: 'https://evil.test/callback' }), { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(response.headers.get('location')).toBeNull();
      expect(await response.json()).toMatchObject({ error: 'invalid_redirect_uri' });
    });

    it('a wrong client secret is invalid_client; client_secret_post works like Basic', async () => {
      const { callback, verifier } = await signIn('alice', 'alice-dev-password');
      const form = { grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier };
      const wrong = await fetch(`${idp.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app.clientId}:nope`).toString('base64')}` },
        body: new URLSearchParams(form),
      });
      expect(wrong.status).toBe(401);
      expect(await token(form, 'post')).toMatchObject({ status: 200 });
    });
  });

  describe("Logto's refresh_token grant with organization_id", () => {
    it('a member gets a token for the resource with organization_id and the scopes of their roles there', async () => {
      const { refresh_token: refreshToken } = await exchange('alice', 'alice-dev-password');
      const answer = await token({ grant_type: 'refresh_token', refresh_token: refreshToken!, organization_id: organizationId, resource: API });
      expect(answer.status).toBe(200);
      const { payload } = await verifyAccessToken(answer.body.access_token!);
      expect(payload).toMatchObject({ sub: 'aliceown0001', client_id: app.clientId, organization_id: organizationId });
      expect(String(payload.scope).split(' ').sort()).toEqual(['tenant:admin', 'tenant:read']);
      expect(payload).not.toHaveProperty('nbf');
      // A confidential client's refresh token does not rotate at once (Logto's rotateRefreshToken).
      expect(answer.body.refresh_token).toBe(refreshToken);
    });

    it('carries only the resource scopes asked for and held at sign-in (the grant Logto consents to then)', async () => {
      // Asked without tenant:* scopes: the organization token has none, whatever the roles.
      const { callback, verifier } = await signIn('alice', 'alice-dev-password', { scope: BASE_SCOPES });
      const plain = await token({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier });
      const withoutScopes = await token({ grant_type: 'refresh_token', refresh_token: plain.body.refresh_token!, organization_id: organizationId, resource: API });
      expect(withoutScopes).toMatchObject({ status: 200, body: { scope: '' } });
      expect(decodeJwt(withoutScopes.body.access_token!)).toMatchObject({ organization_id: organizationId, scope: '' });

      // Asked with them by a user who held none at sign-in and joined afterwards: a member, still no scope.
      const erin = await management<{ id: string }>('POST', '/users', { username: 'erin', password: 'erin-Passw0rd' });
      const { refresh_token: refreshToken } = await exchange('erin', 'erin-Passw0rd');
      await management('POST', `/organizations/${organizationId}/users`, { userIds: [erin.body.id] });
      await management('POST', `/organizations/${organizationId}/users/${erin.body.id}/roles`, { organizationRoleNames: ['member'] });
      const joined = await token({ grant_type: 'refresh_token', refresh_token: refreshToken!, organization_id: organizationId, resource: API });
      expect(joined).toMatchObject({ status: 200, body: { scope: '' } });
      // A new sign-in consents to what the user holds now.
      const again = await exchange('erin', 'erin-Passw0rd');
      const now = await token({ grant_type: 'refresh_token', refresh_token: again.refresh_token!, organization_id: organizationId, resource: API });
      expect(now).toMatchObject({ status: 200, body: { scope: 'tenant:read' } });
    });

    it('a non-member is refused with 403 access_denied, and the refresh token stays usable', async () => {
      const { refresh_token: refreshToken } = await exchange('alice', 'alice-dev-password');
      const refused = await token({ grant_type: 'refresh_token', refresh_token: refreshToken!, organization_id: otherOrganizationId, resource: API });
      expect(refused).toMatchObject({ status: 403, body: { error: 'access_denied', error_description: 'user is not a member of the organization' } });
      const bob = await exchange('bob', 'bob-dev-password');
      expect(await token({ grant_type: 'refresh_token', refresh_token: bob.refresh_token!, organization_id: organizationId, resource: API })).toMatchObject({
        status: 403,
        body: { error: 'access_denied' },
      });
      expect((await token({ grant_type: 'refresh_token', refresh_token: refreshToken!, organization_id: organizationId, resource: API })).status).toBe(200);
    });

    it('a member removed after sign-in is refused at the next refresh', async () => {
      const dave = await management<{ id: string }>('POST', '/users', { username: 'dave', password: 'dave-Passw0rd' });
      await management('POST', `/organizations/${organizationId}/users`, { userIds: [dave.body.id] });
      const { refresh_token: refreshToken } = await exchange('dave', 'dave-Passw0rd');
      const form = { grant_type: 'refresh_token', refresh_token: refreshToken!, organization_id: organizationId, resource: API };
      expect((await token(form)).status).toBe(200);
      await management('DELETE', `/organizations/${organizationId}/users/${dave.body.id}`);
      expect(await token(form)).toMatchObject({ status: 403, body: { error: 'access_denied' } });
    });

    it('without resource: an organization token (aud urn:logto:organization:<id>, scope "")', async () => {
      const { refresh_token: refreshToken } = await exchange('alice', 'alice-dev-password');
      const answer = await token({ grant_type: 'refresh_token', refresh_token: refreshToken!, organization_id: organizationId });
      expect(answer).toMatchObject({ status: 200, body: { scope: '' } });
      expect(decodeJwt(answer.body.access_token!)).toMatchObject({ aud: `urn:logto:organization:${organizationId}`, sub: 'aliceown0001', scope: '' });
      expect(decodeJwt(answer.body.access_token!)).not.toHaveProperty('organization_id');
    });

    it('a refresh token issued without urn:logto:scope:organizations: 403 insufficient_scope', async () => {
      const { callback, verifier } = await signIn('alice', 'alice-dev-password', { scope: 'openid offline_access tenant:read' });
      const { body } = await token({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: REDIRECT, code_verifier: verifier });
      expect(await token({ grant_type: 'refresh_token', refresh_token: body.refresh_token!, organization_id: organizationId, resource: API })).toMatchObject({
        status: 403,
        body: { error: 'insufficient_scope' },
      });
    });

    it('an unknown refresh token is invalid_grant', async () => {
      expect(await token({ grant_type: 'refresh_token', refresh_token: 'nope', organization_id: organizationId, resource: API })).toMatchObject({
        status: 400,
        body: { error: 'invalid_grant' },
      });
    });
  });

  describe('RP-initiated logout', () => {
    it('ends the session without a confirmation page of its own and lands on the registered post-logout URI', async () => {
      const { id_token: idToken } = await exchange('alice', 'alice-dev-password');
      const url = new URL((await discovery()).end_session_endpoint!);
      url.searchParams.set('id_token_hint', idToken!);
      url.searchParams.set('post_logout_redirect_uri', SIGNED_OUT);
      url.searchParams.set('state', 'xyz');
      expect(await idp.endSession(url.toString())).toBe(`${SIGNED_OUT}?state=xyz`);
    });

    it('refuses a post-logout URI the app did not register', async () => {
      const { id_token: idToken } = await exchange('alice', 'alice-dev-password');
      const url = new URL((await discovery()).end_session_endpoint!);
      url.searchParams.set('id_token_hint', idToken!);
      url.searchParams.set('post_logout_redirect_uri', 'https://evil.test/');
      const response = await fetch(url, { redirect: 'manual' });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    });
  });
});
