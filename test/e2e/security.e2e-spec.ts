import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { exportJWK, SignJWT } from 'jose';
import request from 'supertest';
import { isCanonicalCompactJws, LICENSE_KEYRING, MachineTokenService, Keyring } from '@app/security';
import { currentSigningJwk, DevIdp, startDevIdp } from '../support/dev-idp';
import { probeWrites, SecurityProbeModule } from '../support/security-probe.module';
import { insertTenantRow } from '../support/tenant-rows';
import { startTestApp, TestApp } from '../support/test-app';

const BASE_DOMAIN = 'tenants.security.test';

describe('security: who may call what', () => {
  let idp: DevIdp;
  let testApp: TestApp;
  let idpKey: KeyObject;
  let idpKid: string;
  let machine: MachineTokenService;

  const now = () => Math.floor(Date.now() / 1000);

  /** A token with a real signature by the dev IdP's own key, with whatever claims a test needs. */
  async function idpSigned(claims: Record<string, unknown>, header: Record<string, unknown> = {}, key: KeyObject = idpKey): Promise<string> {
    return new SignJWT({ client_id: 'probe-client', scope: 'platform:read platform:write', ...claims })
      .setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid: idpKid, ...header })
      .setIssuer((claims.iss as string | undefined) ?? idp.issuer)
      .setAudience((claims.aud as string | undefined) ?? idp.apiResource)
      .setSubject('mallory')
      .setIssuedAt()
      .setExpirationTime((claims.exp as number | undefined) ?? now() + 300)
      .sign(key);
  }

  beforeAll(async () => {
    idp = await startDevIdp();
    const jwk = currentSigningJwk(idp.dataDir);
    idpKid = jwk.kid;
    idpKey = createPrivateKey({ key: jwk as never, format: 'jwk' });
    testApp = await startTestApp({ LOGTO_ENDPOINT: idp.endpoint, LOGTO_API_RESOURCE: idp.apiResource, TENANT_BASE_DOMAIN: BASE_DOMAIN }, [SecurityProbeModule]);
    machine = testApp.app.get(MachineTokenService);
  });
  afterAll(async () => {
    await testApp?.close();
    await idp?.stop();
  });

  describe('GET /api/auth/me', () => {
    it('describes a user with an operator token', async () => {
      const token = await idp.mintUserToken({ sub: 'olivia', scopes: ['platform:read', 'platform:write'] });
      const response = await request(testApp.server).get('/api/auth/me').auth(token, { type: 'bearer' }).expect(200);
      expect(response.body).toMatchObject({ kind: 'user', subject: 'olivia', scopes: ['platform:read', 'platform:write'], operator: true });
    });

    it('recognises a machine-to-machine app (sub === client_id)', async () => {
      const app = await idp.registerApp({ scopesByResource: { [idp.apiResource]: ['platform:read'] } });
      const token = await idp.clientCredentialsToken({ ...app, resource: idp.apiResource, scope: 'platform:read' });
      const response = await request(testApp.server).get('/api/auth/me').auth(token, { type: 'bearer' }).expect(200);
      expect(response.body).toMatchObject({ kind: 'app', subject: app.clientId, clientId: app.clientId, scopes: ['platform:read'] });
    });

    it('answers 401 with a Bearer challenge when no token is sent', async () => {
      const response = await request(testApp.server).get('/api/auth/me').expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.body).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    });
  });

  describe('default deny', () => {
    it('denies a route that declares nobody, even to an operator', async () => {
      const token = await idp.mintUserToken({ sub: 'olivia', scopes: ['platform:read', 'platform:write'] });
      const response = await request(testApp.server).get('/api/probe-auth/undeclared').auth(token, { type: 'bearer' }).expect(403);
      expect(response.body.code).toBe('ACCESS_NOT_DECLARED');
    });

    it('answers 403 insufficient_scope when the scope is missing', async () => {
      const token = await idp.mintUserToken({ sub: 'reader', scopes: ['platform:read'] });
      const response = await request(testApp.server).post('/api/probe-auth/operator').auth(token, { type: 'bearer' }).expect(403);
      expect(response.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="platform:write", error_description="This call needs the platform:write scope."');
      expect(response.body.code).toBe('INSUFFICIENT_SCOPE');
    });

    it('never counts platform scopes from an organization-scoped token', async () => {
      const token = await idp.mintUserToken({ sub: 'alice', organizationId: 'org-1', scopes: ['platform:read'] });
      await request(testApp.server).get('/api/probe-auth/operator').auth(token, { type: 'bearer' }).expect(403);
    });
  });

  describe('hostile tokens at a Logto route: each 401, nothing changed', () => {
    const cases: [string, () => Promise<string> | string][] = [
      ['alg none', async () => {
        const valid = await idpSigned({});
        const [, payload] = valid.split('.');
        const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: idpKid })).toString('base64url');
        return `${header}.${payload}.`;
      }],
      ['HS256 signed with the public key as the secret', async () => {
        // The classic key-confusion attack: the verifier's public key as PEM, used as an HMAC secret.
        const secret = new TextEncoder().encode(String(createPublicKey(idpKey).export({ format: 'pem', type: 'spki' })));
        return new SignJWT({ client_id: 'x', scope: 'platform:write' })
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: idpKid })
          .setIssuer(idp.issuer).setAudience(idp.apiResource).setSubject('mallory').setExpirationTime('5m')
          .sign(secret);
      }],
      ['wrong issuer', () => idpSigned({ iss: 'https://evil.example/oidc' })],
      ['nbf in the future', () => idpSigned({ nbf: now() + 600 })],
      ['no exp', async () => {
        return new SignJWT({ client_id: 'x', scope: 'platform:write' })
          .setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid: idpKid })
          .setIssuer(idp.issuer).setAudience(idp.apiResource).setSubject('mallory').sign(idpKey);
      }],
      ['unknown kid', () => idpSigned({}, { kid: 'not-a-key-we-know' })],
      ['kid with path traversal', () => idpSigned({}, { kid: '../../../../etc/passwd' })],
      ['jku, x5u and an embedded jwk of an attacker key', async () => {
        const attacker = generateKeyPairSync('ec', { namedCurve: 'P-384' });
        const jwk = await exportJWK(attacker.publicKey);
        return idpSigned({}, { jku: 'http://127.0.0.1:1/jwks', x5u: 'http://127.0.0.1:1/cert', jwk }, attacker.privateKey);
      }],
      ['tampered payload', async () => {
        const valid = await idp.mintUserToken({ sub: 'reader', scopes: ['platform:read'] });
        const [header, payload, signature] = valid.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
        const forged = Buffer.from(JSON.stringify({ ...claims, scope: 'platform:read platform:write' })).toString('base64url');
        return `${header}.${forged}.${signature}`;
      }],
      ['signed by another key under the real kid', () => idpSigned({}, {}, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey)],
      // A missing scope is no scope (Logto's scopeless M2M tokens, test/e2e/logto-scopeless-tokens.e2e-spec.ts); a present one must be a string.
      ['scope a number', () => idpSigned({ scope: 42 })],
      ['scope an array of the scopes', () => idpSigned({ scope: ['platform:read', 'platform:write'] })],
      ['scope null', () => idpSigned({ scope: null })],
      ['scope an object', () => idpSigned({ scope: { 'platform:write': true } })],
    ];

    const GENERIC = 'The bearer token is not valid here.';
    // Told of the token's spelling alone (alg none has an empty signature), before anything is verified.
    const NOT_A_JWS = 'The Authorization header must be exactly: Bearer <token>, the token a compact JWS.';

    it.each(cases)('%s: the one answer of a token that does not verify, whatever failed', async (_name, makeToken) => {
      const before = probeWrites.count;
      const token = await makeToken();
      const detail = isCanonicalCompactJws(token) ? GENERIC : NOT_A_JWS;
      const response = await request(testApp.server).post('/api/probe-auth/operator').set('Authorization', `Bearer ${token}`).expect(401);
      expect(response.headers['www-authenticate']).toBe(`Bearer error="invalid_token", error_description="${detail}"`);
      expect(response.body).toMatchObject({ status: 401, code: 'INVALID_TOKEN', title: 'Invalid token', detail });
      expect(probeWrites.count).toBe(before);
    });

    // Told apart only for a genuine token (its expiry, its audience) or by the kind the caller's own header names.
    const specific: [string, () => Promise<string> | string, string, RegExp][] = [
      ['expired', () => idpSigned({ exp: now() - 120 }), 'TOKEN_EXPIRED', /^The bearer token \(a Logto access token for this API\) has expired: request a new one from Logto\.$/],
      [
        'a Logto organization token',
        () => idp.mintOrganizationToken({ sub: 'alice', organizationId: 'org-1', scopes: [] }),
        'ORGANIZATION_TOKEN',
        /request an organization-scoped API token instead, with resource=(\S+) and organization_id=<the organization id>/,
      ],
      ['wrong audience', () => idpSigned({ aud: 'https://another-api.example' }), 'WRONG_AUDIENCE', /this call needs one for (\S+)\.$/],
      ['typ other than at+jwt (an ID token, say)', () => idpSigned({}, { typ: 'JWT' }), 'WRONG_TOKEN_KIND', /^This call takes a Logto access token for this API; a token of none of these kinds/],
      [
        'an agent access token',
        async () => (await machine.sign('agent', { sub: 'agent-1', tenantId: 't-1', ttlSeconds: 60 })).token,
        'WRONG_TOKEN_KIND',
        /^This call takes a Logto access token for this API; an agent access token was sent\.$/,
      ],
    ];

    it.each(specific)('%s: 401 %s with what to do, in the problem and in error_description', async (_name, makeToken, code, detail) => {
      const before = probeWrites.count;
      const response = await request(testApp.server).post('/api/probe-auth/operator').set('Authorization', `Bearer ${await makeToken()}`).expect(401);
      expect(response.body).toMatchObject({ status: 401, code });
      expect(response.body.detail).toMatch(detail);
      expect(response.headers['www-authenticate']).toBe(`Bearer error="invalid_token", error_description="${response.body.detail as string}"`);
      // An audience named is the one this API expects, never the one the token carried.
      const named = detail.exec(response.body.detail as string)?.[1];
      if (named !== undefined) {
        expect(named.replace(/\.$/, '')).toBe(idp.apiResource);
      }
      expect(probeWrites.count).toBe(before);
    });

    it('the same genuine token, expired and tampered, gets the generic answer: expiry is told only once the signature holds', async () => {
      const expired = await idpSigned({ exp: now() - 120 });
      const [header, payload, signature] = expired.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'olivia' })).toString('base64url')}.${signature}`;
      const otherKey = await idpSigned({ exp: now() - 120 }, {}, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey);
      const organizationForged = await idpSigned({ aud: 'urn:logto:organization:org-1' }, {}, generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey);
      for (const token of [tampered, otherKey, organizationForged]) {
        const response = await request(testApp.server).post('/api/probe-auth/operator').set('Authorization', `Bearer ${token}`).expect(401);
        expect(response.body).toMatchObject({ code: 'INVALID_TOKEN', detail: GENERIC });
      }
    });

    it.each([['Basic b3A6b3A='], ['Bearer'], ['Bearer  two  spaces'], ['Bearer a b'], ['Bearer b3BhcXVlLXRva2Vu'], ['bearer lowercase.scheme.x'], ['Bearer tok"en']])(
      'malformed Authorization header %p',
      async (header) => {
        const before = probeWrites.count;
        await request(testApp.server).post('/api/probe-auth/operator').set('Authorization', header).expect(401);
        expect(probeWrites.count).toBe(before);
      },
    );

    it('a valid operator token does get through (the cases above fail for their own reason)', async () => {
      const before = probeWrites.count;
      await request(testApp.server).post('/api/probe-auth/operator').auth(await idpSigned({}), { type: 'bearer' }).expect(201);
      expect(probeWrites.count).toBe(before + 1);
    });
  });

  describe('the guard and forward-auth decide alike (one evaluateAccess)', () => {
    it('gives each caller the same status and code for the same ACTIVE tenant', async () => {
      const tenant = await insertTenantRow(testApp.database.url, { status: 'ACTIVE' });
      const other = await insertTenantRow(testApp.database.url, { status: 'ACTIVE' });
      const callers: [string, Promise<string>, number, string | undefined][] = [
        ['operator platform:read', idp.mintUserToken({ sub: 'olivia', scopes: ['platform:read'] }), 200, undefined],
        ['operator with platform:write only', idp.mintUserToken({ sub: 'wanda', scopes: ['platform:write'] }), 403, 'INSUFFICIENT_SCOPE'],
        ['member with tenant:read', idp.mintUserToken({ sub: 'alice', organizationId: tenant.organizationId as string, scopes: ['tenant:read'] }), 200, undefined],
        ['member without tenant:read', idp.mintUserToken({ sub: 'bob', organizationId: tenant.organizationId as string, scopes: [] }), 403, 'INSUFFICIENT_SCOPE'],
        ['member of another tenant', idp.mintUserToken({ sub: 'carol', organizationId: other.organizationId as string, scopes: ['tenant:read'] }), 404, 'NOT_FOUND'],
        ['user bound to no organization', idp.mintUserToken({ sub: 'dave', scopes: ['tenant:read'] }), 404, 'NOT_FOUND'],
      ];
      for (const [name, tokenPromise, status, code] of callers) {
        const token = await tokenPromise;
        const guard = await request(testApp.server).get(`/api/probe-auth/tenants/${tenant.id}`).auth(token, { type: 'bearer' });
        const forwardAuth = await request(testApp.server).get('/api/auth/verify').set('X-Forwarded-Host', `${tenant.slug}.${BASE_DOMAIN}`).auth(token, { type: 'bearer' });
        for (const response of [guard, forwardAuth]) {
          expect({ name, status: response.status, code: response.body.code as unknown }).toEqual({ name, status, code: status === 200 ? undefined : code });
        }
        expect(forwardAuth.headers['www-authenticate']).toBe(guard.headers['www-authenticate']);
      }
    });
  });

  describe('machine routes', () => {
    it('accept an agent token', async () => {
      const { token } = await machine.sign('agent', { sub: 'agent-7', tenantId: 'tenant-7', ttlSeconds: 60 });
      const response = await request(testApp.server).get('/api/probe-auth/agent').auth(token, { type: 'bearer' }).expect(200);
      expect(response.body).toMatchObject({ scheme: 'machine', kind: 'agent', subject: 'agent-7', tenantId: 'tenant-7' });
    });

    it('refuse a bootstrap token, a Logto token and a token signed with the license key', async () => {
      const bootstrap = (await machine.sign('agent-bootstrap', { sub: 'bt-1', tenantId: 'tenant-7', ttlSeconds: 60 })).token;
      const logto = await idp.mintUserToken({ sub: 'olivia', scopes: ['platform:read'] });
      const license = testApp.app.get<Keyring>(LICENSE_KEYRING).current;
      const wrongKey = await new SignJWT({ tenant_id: 'tenant-7' })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'agent+jwt', kid: license.kid })
        .setIssuer('http://127.0.0.1:3000').setAudience('cameleer-platform').setSubject('agent-x').setJti('j').setIssuedAt().setExpirationTime('1m')
        .sign(license.privateKey);
      for (const token of [bootstrap, logto, wrongKey]) {
        await request(testApp.server).get('/api/probe-auth/agent').auth(token, { type: 'bearer' }).expect(401);
      }
    });
  });
});

describe('security: Logto JWKS outage', () => {
  it('keeps accepting tokens signed with keys it already fetched while the JWKS endpoint is down', async () => {
    const idp = await startDevIdp();
    const jwk = currentSigningJwk(idp.dataDir);
    const key = createPrivateKey({ key: jwk as never, format: 'jwk' });
    const testApp = await startTestApp({ LOGTO_ENDPOINT: idp.endpoint, LOGTO_API_RESOURCE: idp.apiResource, LOGTO_JWKS_REFRESH_MS: '1000' });
    const sign = () =>
      new SignJWT({ client_id: 'c', scope: '' })
        .setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid: jwk.kid })
        .setIssuer(idp.issuer).setAudience(idp.apiResource).setSubject('u').setIssuedAt().setExpirationTime('5m')
        .sign(key);
    try {
      await request(testApp.server).get('/api/auth/me').auth(await sign(), { type: 'bearer' }).expect(200);
      await idp.stop();
      await new Promise((resolve) => setTimeout(resolve, 1200));
      // The stale key set triggers a refresh that fails; the last good keys stay in use.
      await request(testApp.server).get('/api/auth/me').auth(await sign(), { type: 'bearer' }).expect(200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await request(testApp.server).get('/api/auth/me').auth(await sign(), { type: 'bearer' }).expect(200);
    } finally {
      await testApp.close();
      await idp.stop();
    }
  });
});
