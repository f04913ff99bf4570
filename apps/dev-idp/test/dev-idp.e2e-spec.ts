import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

import { calculateJwkThumbprint, type JWK, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';

import { API_RESOURCE_NAME, API_SCOPES, GLOBAL_ROLES, ORGANIZATION_ROLES } from '../../../scripts/logto-bootstrap/desired-state';
import { type DevIdp, MANAGEMENT_API_RESOURCE, startDevIdp } from '../../../test/support/dev-idp';

const API = 'https://api.test.cameleer.local';

interface Entity {
  id: string;
  name: string;
}
interface Organization extends Entity {
  customData: Record<string, unknown>;
}
interface ApiResource extends Entity {
  indicator: string;
}
interface TokenResponse {
  access_token: string;
  scope?: string;
}
const ORG_URN = 'urn:logto:organization:';

describe('dev IdP (Logto-compatible)', () => {
  let idp: DevIdp;
  let managementToken: string;

  beforeAll(async () => {
    idp = await startDevIdp({ apiResource: API });
    const app = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
    managementToken = await idp.clientCredentialsToken({ ...app, resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
  });

  afterAll(async () => {
    await idp.stop();
  });

  const verify = (token: string, audience: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL(idp.jwksUri)), {
      issuer: idp.issuer,
      audience,
      algorithms: ['ES384'],
      typ: 'at+jwt',
    });

  const api = async <T = unknown>(method: string, path: string, body?: unknown, token: string | null = managementToken) => {
    const response = await fetch(`${idp.endpoint}/api${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
  };

  const tokenRequest = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form),
    });

  /** A Management API caller of `instance` (an admin app registered over IPC). */
  const managementOf = async (instance: DevIdp) => {
    const admin = await instance.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
    const token = await instance.clientCredentialsToken({ ...admin, resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
    return async <T = unknown>(method: string, path: string, body?: unknown) => {
      const response = await fetch(`${instance.endpoint}/api${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    };
  };

  describe('OIDC discovery and keys', () => {
    it('publishes issuer <endpoint>/oidc, the JWKS and token endpoints', async () => {
      const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(idp.issuer).toBe(`${idp.endpoint}/oidc`);
      expect(idp.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(discovery.issuer).toBe(idp.issuer);
      expect(discovery.jwks_uri).toBe(`${idp.issuer}/jwks`);
      expect(discovery.token_endpoint).toBe(`${idp.issuer}/token`);
      expect(discovery.grant_types_supported).toContain('client_credentials');
    });

    it('serves one ES384 key whose kid is its RFC 7638 thumbprint', async () => {
      const { keys } = (await (await fetch(idp.jwksUri)).json()) as { keys: JWK[] };
      expect(keys).toHaveLength(1);
      const key = keys[0]!;
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-384', alg: 'ES384', use: 'sig', kid: idp.kid });
      expect(key.d).toBeUndefined();
      expect(await calculateJwkThumbprint(key, 'sha256')).toBe(key.kid);
    });
  });

  describe('minted user tokens', () => {
    it('have exactly Logto’s header and claims and verify against the JWKS over HTTP', async () => {
      const token = await idp.mintUserToken({ sub: 'alice', scopes: ['tenant:read', 'tenant:admin'] });
      const { payload, protectedHeader } = await verify(token, API);
      expect(protectedHeader).toEqual({ alg: 'ES384', typ: 'at+jwt', kid: idp.kid });
      expect(Object.keys(payload).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub']);
      expect(payload).toMatchObject({ iss: idp.issuer, sub: 'alice', aud: API, scope: 'tenant:read tenant:admin' });
      // Logto's tokens carry no nbf (its oidc-provider fork's lib/models/formats/jwt.js writes none).
      expect(payload).not.toHaveProperty('nbf');
      expect(payload.exp! - payload.iat!).toBe(3600);
      expect(payload.client_id).not.toBe('alice');
    });

    it('carry organization_id for organization-scoped API tokens, and scope "" when empty (a user token’s scope is a string in Logto)', async () => {
      const token = await idp.mintUserToken({ sub: 'bob', organizationId: 'org123', scopes: [], expiresIn: 60 });
      const { payload } = await verify(token, API);
      expect(payload.organization_id).toBe('org123');
      expect(payload.scope).toBe('');
      expect(payload.exp! - payload.iat!).toBe(60);
    });

    it('mints Logto organization tokens (aud urn:logto:organization:<id>) that an API verifier rejects', async () => {
      const token = await idp.mintOrganizationToken({ sub: 'alice', organizationId: 'org123', scopes: ['read:data'] });
      const { payload } = await verify(token, `${ORG_URN}org123`);
      expect(payload).toMatchObject({ aud: `${ORG_URN}org123`, scope: 'read:data', sub: 'alice' });
      expect(payload.organization_id).toBeUndefined();
      await expect(verify(token, API)).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
    });

    it('reports invalid requests on the control channel', async () => {
      await expect(idp.mintUserToken({ sub: '', scopes: [] })).rejects.toThrow(/sub/);
    });

    it('are also minted by the dev:token CLI with the persisted key, without the server', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'dev-idp-cli-'));
      const other = await startDevIdp({ apiResource: API, dataDir });
      try {
        const { stdout } = await promisify(execFile)(process.execPath, [
          resolve(__dirname, '../bin/dev-token.js'),
          ...['--user', 'alice', '--org', 'org9', '--scope', 'tenant:read', '--scope', 'tenant:admin'],
          ...['--data-dir', dataDir, '--endpoint', other.endpoint, '--api-resource', API],
        ]);
        const token = stdout.trim();
        const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(other.jwksUri)), {
          issuer: other.issuer,
          audience: API,
        });
        expect(protectedHeader.kid).toBe(other.kid);
        expect(payload).toMatchObject({ sub: 'alice', organization_id: 'org9', scope: 'tenant:read tenant:admin' });
      } finally {
        await other.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  });

  describe('client_credentials over HTTP', () => {
    let app: { clientId: string; clientSecret: string };

    beforeAll(async () => {
      app = await idp.registerApp({ scopesByResource: { [API]: ['tenant:read', 'tenant:provision'] } });
    });

    it('issues Logto M2M tokens (sub === client_id) and silently drops scopes the app may not have', async () => {
      const token = await idp.clientCredentialsToken({ ...app, resource: API, scope: 'tenant:read tenant:admin' });
      const { payload, protectedHeader } = await verify(token, API);
      expect(protectedHeader).toEqual({ alg: 'ES384', typ: 'at+jwt', kid: idp.kid });
      expect(Object.keys(payload).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'scope', 'sub']);
      expect(payload).toMatchObject({ sub: app.clientId, client_id: app.clientId, aud: API, scope: 'tenant:read' });
    });

    it('accepts the secret in the form body', async () => {
      const response = await tokenRequest({
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret,
        resource: API,
        scope: 'tenant:provision',
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as TokenResponse;
      expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'tenant:provision' });
      expect(decodeJwt(body.access_token)).toMatchObject({ sub: app.clientId, scope: 'tenant:provision' });
    });

    it.each([
      ['nothing requested is granted', { scope: 'all' }],
      ['no scope is requested', {}],
    ])('leaves scope out of the token and of the response when %s, as Logto', async (_case, requested) => {
      const response = await tokenRequest({
        grant_type: 'client_credentials',
        client_id: app.clientId,
        client_secret: app.clientSecret,
        resource: API,
        ...requested,
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as TokenResponse;
      expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
      const { payload } = await verify(body.access_token, API);
      expect(Object.keys(payload).sort()).toEqual(['aud', 'client_id', 'exp', 'iat', 'iss', 'jti', 'sub']);
    });

    it('refuses organization_id to an app that is no member of the organization (403 access_denied, as Logto)', async () => {
      for (const form of [{ resource: API, organization_id: 'org42' }, { organization_id: 'org42' }] as Record<string, string>[]) {
        const response = await tokenRequest({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret, ...form });
        expect(response.status).toBe(403);
        expect(await response.json()).toEqual({ code: 'oidc.access_denied', message: 'Access denied.', error: 'access_denied', error_description: 'app has not associated with the organization' });
      }
    });

    it('rejects unknown resources, missing targets and bad secrets like Logto', async () => {
      const credentials = { grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.clientSecret };
      const unknown = await tokenRequest({ ...credentials, resource: 'https://unknown.example' });
      expect(unknown.status).toBe(400);
      expect(await unknown.json()).toMatchObject({ error: 'invalid_target' });

      const missing = await tokenRequest(credentials);
      expect(missing.status).toBe(400);
      expect(await missing.json()).toMatchObject({ error: 'invalid_target' });

      // An organization URN is no API resource: organization tokens come from organization_id alone.
      const urn = await tokenRequest({ ...credentials, resource: `${ORG_URN}org42` });
      expect(urn.status).toBe(400);
      expect(await urn.json()).toMatchObject({ error: 'invalid_target' });

      await expect(idp.clientCredentialsToken({ ...app, clientSecret: 'wrong', resource: API })).rejects.toThrow(
        /401.*invalid_client/,
      );
    });
  });

  describe('organization-scoped M2M tokens (client_credentials with organization_id), as Logto', () => {
    let org: Organization;
    let machine: { clientId: string; clientSecret: string };
    let machineRead: Entity;
    let machineAdmin: Entity;
    let machineRole: Entity;

    const credentials = () => ({ grant_type: 'client_credentials', client_id: machine.clientId, client_secret: machine.clientSecret });

    /** A machine-to-machine application of the Management API (Logto grants organizations only to those), with its secret. */
    const createMachineApp = async (name: string) => {
      const created = await api<Entity>('POST', '/applications', { name, type: 'MachineToMachine' });
      const secrets = await api<{ value: string }[]>('GET', `/applications/${created.body.id}/secrets`);
      return { clientId: created.body.id, clientSecret: secrets.body[0]!.value };
    };

    beforeAll(async () => {
      org = (await api<Organization>('POST', '/organizations', { name: 'M2M Org' })).body;
      const apiResource = (await api<ApiResource[]>('GET', '/resources')).body.find((resource) => resource.indicator === API)!;
      machineRead = (await api<Entity>('POST', `/resources/${apiResource.id}/scopes`, { name: 'machine:read' })).body;
      machineAdmin = (await api<Entity>('POST', `/resources/${apiResource.id}/scopes`, { name: 'machine:admin' })).body;
      machine = await createMachineApp('org machine');
      // A global role: Logto does not count it in an organization-scoped token.
      const globalRole = (await api<Entity>('POST', '/roles', { name: 'global admin', description: 'M2M', type: 'MachineToMachine' })).body;
      expect((await api('POST', `/roles/${globalRole.id}/scopes`, { scopeIds: [machineAdmin.id] })).status).toBe(200);
      expect((await api('POST', `/applications/${machine.clientId}/roles`, { roleIds: [globalRole.id] })).status).toBe(201);
      machineRole = (await api<Entity>('POST', '/organization-roles', { name: 'machine reader', type: 'MachineToMachine', resourceScopeIds: [machineRead.id] })).body;
    });

    it('refuses an application that is not a member: 403 access_denied, whatever the resource', async () => {
      for (const form of [{ resource: API }, {}, { resource: 'https://unknown.example' }] as Record<string, string>[]) {
        const response = await tokenRequest({ ...credentials(), ...form, organization_id: org.id });
        expect(response.status).toBe(403);
        expect(await response.json()).toEqual({ code: 'oidc.access_denied', message: 'Access denied.', error: 'access_denied', error_description: 'app has not associated with the organization' });
      }
      // Without organization_id the same app gets its global role's scopes.
      const plain = await tokenRequest({ ...credentials(), resource: API, scope: 'machine:read machine:admin' });
      expect(decodeJwt(((await plain.json()) as TokenResponse).access_token).scope).toBe('machine:admin');
    });

    it('gives a member without organization roles a token with organization_id and no scope at all', async () => {
      expect(await api('POST', `/organizations/${org.id}/applications`, { applicationIds: [machine.clientId] })).toMatchObject({ status: 201 });
      const response = await tokenRequest({ ...credentials(), resource: API, scope: 'machine:read machine:admin', organization_id: org.id });
      expect(response.status).toBe(200);
      const body = (await response.json()) as TokenResponse;
      expect(body.scope).toBeUndefined();
      const { payload } = await verify(body.access_token, API);
      expect(payload).toMatchObject({ sub: machine.clientId, client_id: machine.clientId, organization_id: org.id });
      expect(payload).not.toHaveProperty('scope');
    });

    it('grants only the scopes of the app’s MachineToMachine organization roles in that organization, not its global roles', async () => {
      expect(await api('POST', `/organizations/${org.id}/applications/${machine.clientId}/roles`, { organizationRoleIds: [machineRole.id] })).toMatchObject({
        status: 201,
      });
      const response = await tokenRequest({ ...credentials(), resource: API, scope: 'machine:read machine:admin', organization_id: org.id });
      const body = (await response.json()) as TokenResponse;
      expect(body.scope).toBe('machine:read');
      expect((await verify(body.access_token, API)).payload).toMatchObject({ organization_id: org.id, scope: 'machine:read' });

      // Another organization the app is a member of, without roles there: nothing.
      const other = (await api<Organization>('POST', '/organizations', { name: 'Other M2M Org' })).body;
      await api('POST', `/organizations/${other.id}/applications`, { applicationIds: [machine.clientId] });
      const elsewhere = await tokenRequest({ ...credentials(), resource: API, scope: 'machine:read', organization_id: other.id });
      expect(decodeJwt(((await elsewhere.json()) as TokenResponse).access_token)).not.toHaveProperty('scope');
    });

    it('issues a member an organization token for organization_id without resource, with scope "" in token and response', async () => {
      const response = await tokenRequest({ ...credentials(), organization_id: org.id });
      expect(response.status).toBe(200);
      const body = (await response.json()) as TokenResponse;
      expect(body.scope).toBe('');
      const { payload } = await verify(body.access_token, `${ORG_URN}${org.id}`);
      expect(payload).toMatchObject({ aud: `${ORG_URN}${org.id}`, sub: machine.clientId, scope: '' });
      expect(payload).not.toHaveProperty('organization_id');
    });

    it('lists member applications with their organization roles and without secrets; removing one ends its access', async () => {
      const leaving = await createMachineApp('leaving machine');
      await api('POST', `/organizations/${org.id}/applications`, { applicationIds: [leaving.clientId, leaving.clientId] });
      const listed = await api<(Entity & Record<string, unknown>)[]>('GET', `/organizations/${org.id}/applications?q=machine`);
      expect(listed.status).toBe(200);
      expect(listed.headers.get('total-number')).toBe('2');
      expect(listed.body.map((app) => [app.id, app.organizationRoles])).toEqual([
        [machine.clientId, [{ id: machineRole.id, name: 'machine reader' }]],
        [leaving.clientId, []],
      ]);
      expect(listed.body.every((app) => !('secret' in app))).toBe(true);
      expect(await api('GET', `/organizations/${org.id}/applications/${leaving.clientId}/roles`)).toMatchObject({ status: 200, body: [] });

      expect((await api('DELETE', `/organizations/${org.id}/applications/${leaving.clientId}`)).status).toBe(204);
      expect(await api('DELETE', `/organizations/${org.id}/applications/${leaving.clientId}`)).toMatchObject({
        status: 404,
        body: { code: 'entity.not_found' },
      });
      const response = await tokenRequest({ grant_type: 'client_credentials', client_id: leaving.clientId, client_secret: leaving.clientSecret, organization_id: org.id });
      expect(response.status).toBe(403);
    });

    it('answers Logto’s codes for what its database refuses', async () => {
      const spa = (await api<Entity>('POST', '/applications', { name: 'not a machine', type: 'SPA' })).body;
      const userRole = (await api<Entity>('POST', '/organization-roles', { name: 'people only', type: 'User' })).body;
      const cases: [string, string, unknown, number, string][] = [
        ['POST', `/organizations/nope/applications`, { applicationIds: [machine.clientId] }, 422, 'entity.relation_foreign_key_not_found'],
        ['POST', `/organizations/${org.id}/applications`, { applicationIds: ['nope'] }, 422, 'entity.relation_foreign_key_not_found'],
        ['POST', `/organizations/${org.id}/applications`, { applicationIds: [spa.id] }, 422, 'entity.db_constraint_violated'],
        ['POST', `/organizations/${org.id}/applications`, { applicationIds: [] }, 400, 'guard.invalid_input'],
        ['GET', `/organizations/${org.id}/applications?page_size=101`, undefined, 400, 'guard.invalid_pagination'],
        ['GET', `/organizations/${org.id}/applications/${spa.id}/roles`, undefined, 422, 'organization.require_membership'],
        ['POST', `/organizations/${org.id}/applications/nope/roles`, { organizationRoleIds: [machineRole.id] }, 422, 'organization.require_membership'],
        ['POST', `/organizations/${org.id}/applications/${machine.clientId}/roles`, { organizationRoleIds: [userRole.id] }, 422, 'entity.db_constraint_violated'],
        ['POST', `/organizations/${org.id}/applications/${machine.clientId}/roles`, { organizationRoleIds: ['nope'] }, 422, 'entity.relation_foreign_key_not_found'],
        ['POST', `/organizations/${org.id}/applications/${machine.clientId}/roles`, { organizationRoleIds: [] }, 400, 'guard.invalid_input'],
        ['DELETE', `/organizations/${org.id}/applications/${machine.clientId}/roles/nope`, undefined, 404, 'entity.not_found'],
      ];
      for (const [method, path, body, status, code] of cases) {
        expect({ method, path, ...(await api(method, path, body)) }).toMatchObject({ method, path, status, body: { code } });
      }
      // Nothing of the refused requests stuck: the app still holds exactly its one role.
      expect((await api<Entity[]>('GET', `/organizations/${org.id}/applications/${machine.clientId}/roles`)).body.map((role) => role.id)).toEqual([
        machineRole.id,
      ]);
    });

    it('drops the memberships of a deleted organization', async () => {
      const doomed = (await api<Organization>('POST', '/organizations', { name: 'Doomed' })).body;
      await api('POST', `/organizations/${doomed.id}/applications`, { applicationIds: [machine.clientId] });
      expect((await tokenRequest({ ...credentials(), organization_id: doomed.id })).status).toBe(200);
      expect((await api('DELETE', `/organizations/${doomed.id}`)).status).toBe(204);
      expect((await tokenRequest({ ...credentials(), organization_id: doomed.id })).status).toBe(403);
    });
  });

  describe('Management API', () => {
    it('answers the health check without auth', async () => {
      const { status, body } = await api('GET', '/status', undefined, null);
      expect(status).toBe(204);
      expect(body).toBeUndefined();
    });

    it('requires a Management API token with scope all', async () => {
      expect(await api('GET', '/organizations', undefined, null)).toMatchObject({
        status: 401,
        body: { code: 'auth.authorization_header_missing' },
      });
      const apiToken = await idp.mintUserToken({ sub: 'alice', scopes: ['all'] });
      expect(await api('GET', '/organizations', undefined, apiToken)).toMatchObject({
        status: 401,
        body: { code: 'auth.unauthorized' },
      });
      const noAll = await idp.mintUserToken({ sub: 'alice', resource: MANAGEMENT_API_RESOURCE, scopes: [] });
      expect(await api('GET', '/organizations', undefined, noAll)).toMatchObject({
        status: 403,
        body: { code: 'auth.forbidden' },
      });
    });

    it('creates, reads, patches (customData replaced) and deletes organizations', async () => {
      const created = await api<Organization>('POST', '/organizations', { name: 'Acme', customData: { tenantId: 't1', plan: 'pro' } });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        tenantId: 'default',
        name: 'Acme',
        description: null,
        customData: { tenantId: 't1', plan: 'pro' },
        isMfaRequired: false,
      });
      expect(created.body.id).toMatch(/^[0-9a-z]{12}$/);
      const { id } = created.body;

      expect(await api('GET', `/organizations/${id}`)).toMatchObject({ status: 200, body: { id, name: 'Acme' } });

      const patched = await api<Organization>('PATCH', `/organizations/${id}`, { customData: { plan: 'free' } });
      expect(patched).toMatchObject({ status: 200, body: { name: 'Acme' } });
      expect(patched.body.customData).toEqual({ plan: 'free' });

      expect((await api('DELETE', `/organizations/${id}`)).status).toBe(204);
      expect(await api('GET', `/organizations/${id}`)).toMatchObject({
        status: 404,
        body: { code: 'entity.not_exists_with_id' },
      });
    });

    it('uses Logto’s 404 codes per operation and 400 for bad input', async () => {
      expect((await api<{ code: string }>('GET', '/organizations/nope')).body.code).toBe('entity.not_exists_with_id');
      expect(await api('PATCH', '/organizations/nope', { name: 'x' })).toMatchObject({
        status: 404,
        body: { code: 'entity.not_exists' },
      });
      expect(await api('DELETE', '/organizations/nope')).toMatchObject({ status: 404, body: { code: 'entity.not_found' } });
      expect(await api('POST', '/organizations', { description: 'no name' })).toMatchObject({
        status: 400,
        body: { code: 'guard.invalid_input' },
      });
    });

    it('paginates with page/page_size, Total-Number and Link, and searches id and name only', async () => {
      const prefix = `Paged-${Date.now()}`;
      for (const n of [1, 2, 3]) {
        await api('POST', '/organizations', { name: `${prefix}-${n}`, customData: { marker: 'findme' } });
      }
      const page2 = await api<Organization[]>('GET', `/organizations?q=${prefix}&page=2&page_size=2`);
      expect(page2.status).toBe(200);
      expect(page2.body).toHaveLength(1);
      expect(page2.headers.get('total-number')).toBe('3');
      // Exactly as Logto writes them (core middleware/koa-pagination.ts): one header per relation (fetch joins them
      // with ", "), first, prev, last, next, and the path without the /api mount point, which koa-mount strips.
      const base = `${idp.endpoint}/organizations?q=${prefix}`;
      expect(page2.headers.get('link')).toBe(
        [`<${base}&page=1&page_size=2>; rel="first"`, `<${base}&page=1&page_size=2>; rel="prev"`, `<${base}&page=2&page_size=2>; rel="last"`].join(', '),
      );
      const page1 = await api<Organization[]>('GET', `/organizations?page_size=2&q=${prefix}`);
      expect(page1.headers.get('link')).toBe(
        [
          `<${idp.endpoint}/organizations?page_size=2&q=${prefix}&page=1>; rel="first"`,
          `<${idp.endpoint}/organizations?page_size=2&q=${prefix}&page=2>; rel="last"`,
          `<${idp.endpoint}/organizations?page_size=2&q=${prefix}&page=2>; rel="next"`,
        ].join(', '),
      );

      const firstPage = await api<Organization[]>('GET', `/organizations?q=${prefix}`);
      expect(firstPage.body).toHaveLength(3);
      expect((await api<Organization[]>('GET', '/organizations?q=findme')).body).toHaveLength(0);
      expect(await api('GET', '/organizations?page_size=101')).toMatchObject({
        status: 400,
        body: { code: 'guard.invalid_pagination' },
      });
    });

    it('has users only once created (core routes/admin-user/basics.ts): 200 with the user, 404 entity.not_found, 422 on a taken username', async () => {
      const created = await api<Record<string, unknown> & { id: string }>('POST', '/users', { username: 'dora', password: 'dora-password', name: 'Dora' });
      expect(created).toMatchObject({ status: 200, body: { username: 'dora', name: 'Dora', hasPassword: true, isSuspended: false, customData: {} } });
      expect(created.body.id).toMatch(/^[0-9a-z]{12}$/);
      expect(Object.keys(created.body)).not.toEqual(expect.arrayContaining(['password']));
      expect(JSON.stringify(created.body)).not.toContain('dora-password');
      expect(await api('GET', `/users/${created.body.id}`)).toMatchObject({ status: 200, body: { id: created.body.id, username: 'dora' } });
      expect(await api('GET', '/users/nosuchuser01')).toMatchObject({ status: 404, body: { code: 'entity.not_found' } });
      expect(await api('POST', '/users', { username: 'dora' })).toMatchObject({ status: 422, body: { code: 'user.username_already_in_use' } });
      expect(await api('POST', '/users', { username: '1dora' })).toMatchObject({ status: 400, body: { code: 'guard.invalid_input' } });
      expect((await api('DELETE', `/users/${created.body.id}`)).status).toBe(204);
      expect(await api('GET', `/users/${created.body.id}`)).toMatchObject({ status: 404, body: { code: 'entity.not_found' } });
    });

    it('manages members and their organization roles with Logto’s 422 codes', async () => {
      const { body: org } = await api<Organization>('POST', '/organizations', { name: 'Members Inc' });
      const alice = (await api<Entity>('POST', '/users', { username: `alice_${org.id}` })).body.id;
      const bob = (await api<Entity>('POST', '/users', { username: `bob_${org.id}` })).body.id;
      const carol = (await api<Entity>('POST', '/users', { username: `carol_${org.id}` })).body.id;
      const role = await api<Entity>('POST', '/organization-roles', { name: `admin-${org.id}`, description: 'Admin' });
      expect(role).toMatchObject({ status: 201, body: { type: 'User', name: `admin-${org.id}` } });
      expect(await api('POST', '/organization-roles', { name: `admin-${org.id}` })).toMatchObject({
        status: 422,
        body: { code: 'entity.unique_integrity_violation' },
      });

      expect(await api('GET', `/organizations/${org.id}/users/${alice}/roles`)).toMatchObject({
        status: 422,
        body: { code: 'organization.require_membership' },
      });
      expect(await api('POST', `/organizations/${org.id}/users`, { userIds: [alice, bob] })).toMatchObject({
        status: 201,
      });
      expect(await api('POST', `/organizations/nope/users`, { userIds: [alice] })).toMatchObject({
        status: 422,
        body: { code: 'entity.relation_foreign_key_not_found' },
      });
      // An unknown user is the same foreign-key violation (core routes/organization/utils.ts), and nothing is added.
      expect(await api('POST', `/organizations/${org.id}/users`, { userIds: [carol, 'nosuchuser01'] })).toMatchObject({
        status: 422,
        body: { code: 'entity.relation_foreign_key_not_found' },
      });
      expect(await api('PUT', `/organizations/${org.id}/users`, { userIds: ['nosuchuser01'] })).toMatchObject({
        status: 422,
        body: { code: 'entity.relation_foreign_key_not_found' },
      });

      expect(
        await api('POST', `/organizations/${org.id}/users/${alice}/roles`, { organizationRoleNames: [`admin-${org.id}`] }),
      ).toMatchObject({ status: 201, body: { organizationRoleIds: [role.body.id] } });
      expect(
        await api('POST', `/organizations/${org.id}/users/roles`, { userIds: [bob], organizationRoleIds: [role.body.id] }),
      ).toMatchObject({ status: 201 });
      expect(
        await api('POST', `/organizations/${org.id}/users/roles`, { userIds: [carol], organizationRoleIds: [role.body.id] }),
      ).toMatchObject({ status: 422, body: { code: 'entity.relation_foreign_key_not_found' } });

      const roles = await api('GET', `/organizations/${org.id}/users/${alice}/roles`);
      expect(roles.body).toEqual([expect.objectContaining({ id: role.body.id, name: `admin-${org.id}` })]);

      const members = await api<Entity[]>('GET', `/organizations/${org.id}/users`);
      expect(members.headers.get('total-number')).toBe('2');
      expect(members.body[0]).toMatchObject({ id: alice, username: `alice_${org.id}`, organizationRoles: [{ id: role.body.id, name: `admin-${org.id}` }] });

      expect((await api('PUT', `/organizations/${org.id}/users`, { userIds: [alice] })).status).toBe(204);
      expect((await api('DELETE', `/organizations/${org.id}/users/${alice}`)).status).toBe(204);
      expect(await api('DELETE', `/organizations/${org.id}/users/${alice}`)).toMatchObject({
        status: 404,
        body: { code: 'entity.not_found' },
      });
      expect((await api('GET', `/organizations/${org.id}/users`)).body).toEqual([]);

      // Deleting a user ends its memberships, as Logto's foreign-key cascade does.
      expect((await api('POST', `/organizations/${org.id}/users`, { userIds: [bob] })).status).toBe(201);
      expect((await api('DELETE', `/users/${bob}`)).status).toBe(204);
      expect((await api('GET', `/organizations/${org.id}/users`)).body).toEqual([]);
    });

    it('gives organization roles API-resource scopes by scope ID', async () => {
      const { body: resources } = await api<ApiResource[]>('GET', '/resources');
      const managementApi = resources.find((resource) => resource.indicator === MANAGEMENT_API_RESOURCE);
      expect(managementApi).toMatchObject({ id: 'management-api' });
      const apiResource = resources.find((resource) => resource.indicator === API)!;
      const created = await api<Entity>('POST', `/resources/${apiResource.id}/scopes`, { name: 'tenant:admin' });
      expect(created).toMatchObject({ status: 201, body: { name: 'tenant:admin', resourceId: apiResource.id } });

      const role = await api<Entity>('POST', '/organization-roles', {
        name: `scoped-${Date.now()}`,
        organizationScopeIds: [],
        resourceScopeIds: [created.body.id],
      });
      expect(role.status).toBe(201);
      const scopes = await api('GET', `/organization-roles/${role.body.id}/resource-scopes`);
      expect(scopes.body).toEqual([expect.objectContaining({ id: created.body.id, name: 'tenant:admin' })]);

      expect(await api('POST', `/organization-roles/${role.body.id}/resource-scopes`, { scopeIds: ['nope'] })).toMatchObject({
        status: 422,
        body: { code: 'entity.relation_foreign_key_not_found' },
      });
      expect((await api('PUT', `/organization-roles/${role.body.id}/resource-scopes`, { scopeIds: [] })).status).toBe(204);
      expect((await api('GET', `/organization-roles/${role.body.id}/resource-scopes`)).body).toEqual([]);

      const listed = await api('GET', `/organization-roles?q=${role.body.name}`);
      expect(listed.body).toEqual([expect.objectContaining({ id: role.body.id, scopes: [], resourceScopes: [] })]);
      expect(await api('GET', '/organization-roles/nope/resource-scopes')).toMatchObject({
        status: 404,
        body: { code: 'entity.not_exists_with_id' },
      });
    });
  });

  describe('fault injection', () => {
    afterEach(async () => {
      await idp.setFault('none');
    });

    it('answers 503 while error5xx is set, then heals after `times` requests', async () => {
      await idp.setFault('error5xx', { times: 1 });
      expect((await api('GET', '/organizations')).status).toBe(503);
      expect((await api('GET', '/organizations')).status).toBe(200);
    });

    it('answers a chosen 4xx while error4xx is set (default 422), with a Logto-shaped body', async () => {
      await idp.setFault('error4xx', { times: 1 });
      expect(await api('GET', '/organizations')).toMatchObject({ status: 422, body: { code: 'dev_idp.injected_fault' } });
      await idp.setFault('error4xx', { status: 429, times: 1, target: 'management' });
      expect((await api('GET', '/organizations')).status).toBe(429);
      expect((await api('GET', '/organizations')).status).toBe(200);
    });

    it('drops connections while down, for the token endpoint too', async () => {
      await idp.setFault('down');
      await expect(fetch(`${idp.endpoint}/api/organizations`)).rejects.toThrow();
      await expect(tokenRequest({ grant_type: 'client_credentials' })).rejects.toThrow();
      // Discovery and JWKS stay up: only the Management API and /oidc/token fail.
      expect((await fetch(idp.jwksUri)).status).toBe(200);
    });

    it('performs the write but holds the response past the client timeout (timeoutAfterSuccess)', async () => {
      await idp.setFault('timeoutAfterSuccess', { delayMs: 2_000, target: 'management', times: 1 });
      const name = `Held-${Date.now()}`;
      await expect(
        fetch(`${idp.endpoint}/api/organizations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${managementToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
          signal: AbortSignal.timeout(300),
        }),
      ).rejects.toMatchObject({ name: 'TimeoutError' });
      const { body } = await api('GET', `/organizations?q=${name}`);
      expect(body).toEqual([expect.objectContaining({ name })]);
    });

    it('holds requests while slow (a client with a shorter timeout gives up)', async () => {
      await idp.setFault('slow', { delayMs: 2_000, target: 'token', times: 1 });
      const { clientId, clientSecret } = await idp.registerApp({ scopesByResource: { [API]: [] } });
      await expect(
        fetch(`${idp.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, client_id: clientId, client_secret: clientSecret }),
          signal: AbortSignal.timeout(300),
        }),
      ).rejects.toMatchObject({ name: 'TimeoutError' });
    });
  });

  describe('seeded users (config/dev-idp.json)', () => {
    it('exist from the start with their fixed ids and usernames, never showing a password', async () => {
      const configFile = resolve(__dirname, '../../../config/dev-idp.json');
      const { users } = JSON.parse(await readFile(configFile, 'utf8')) as { users: { id: string; username: string; password: string }[] };
      expect(users.length).toBeGreaterThan(0);
      const seeded = await startDevIdp({ configFile });
      try {
        const app = await seeded.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
        const token = await seeded.clientCredentialsToken({ ...app, resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
        for (const user of users) {
          const response = await fetch(`${seeded.endpoint}/api/users/${user.id}`, { headers: { authorization: `Bearer ${token}` } });
          const text = await response.text();
          expect(response.status).toBe(200);
          expect(JSON.parse(text)).toMatchObject({ id: user.id, username: user.username, hasPassword: true });
          expect(text).not.toContain(user.password);
        }
      } finally {
        await seeded.stop();
      }
    });
  });

  describe('application secrets, as Logto', () => {
    it('every listed secret authenticates (Basic and form body); an expired one is refused with invalid_request', async () => {
      const created = await api<Entity>('POST', '/applications', { name: 'secretive', type: 'MachineToMachine' });
      const added = await api<{ value: string }>('POST', `/applications/${created.body.id}/secrets`, { name: 'second' });
      expect(added.status).toBe(201);
      const form = { grant_type: 'client_credentials', resource: MANAGEMENT_API_RESOURCE };
      const basic = (secret: string) => ({ authorization: `Basic ${Buffer.from(`${created.body.id}:${secret}`).toString('base64')}` });
      expect((await tokenRequest(form, basic(added.body.value))).status).toBe(200);
      expect((await tokenRequest({ ...form, client_id: created.body.id, client_secret: added.body.value })).status).toBe(200);
      const [listedDefault] = (await api<{ name: string; value: string }[]>('GET', `/applications/${created.body.id}/secrets`)).body;
      expect(listedDefault?.name).toBe('Default secret');
      expect((await tokenRequest(form, basic(listedDefault!.value))).status).toBe(200);

      const expiring = await api<{ value: string }>('POST', `/applications/${created.body.id}/secrets`, { name: 'expiring', expiresAt: Date.now() + 1_500 });
      expect((await tokenRequest(form, basic(expiring.body.value))).status).toBe(200);
      await new Promise((resolveWait) => setTimeout(resolveWait, 1_600));
      const expired = await tokenRequest(form, basic(expiring.body.value));
      expect({ status: expired.status, body: await expired.json() }).toMatchObject({
        status: 400,
        body: { error: 'invalid_request', error_description: 'client secret has expired' },
      });
      const wrong = await tokenRequest(form, basic('not-a-secret-of-this-app'));
      expect({ status: wrong.status, error: ((await wrong.json()) as { error: string }).error }).toEqual({ status: 401, error: 'invalid_client' });
    });
  });

  describe('persistence', () => {
    it('keeps the signing key (kid) across restarts on the same data dir, stored with mode 0600', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'dev-idp-restart-'));
      try {
        const first = await startDevIdp({ apiResource: API, dataDir });
        const token = await first.mintUserToken({ sub: 'alice', scopes: [] });
        await first.stop();

        const second = await startDevIdp({ apiResource: API, dataDir });
        try {
          expect(second.kid).toBe(first.kid);
          expect(decodeProtectedHeader(token).kid).toBe(second.kid);
          await jwtVerify(token, createRemoteJWKSet(new URL(second.jwksUri)), { audience: API });
        } finally {
          await second.stop();
        }
        expect((await stat(join(dataDir, 'signing-keys.json'))).mode & 0o777).toBe(0o600);
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });

    it('keeps organizations, members, their roles, users, applications, their secrets and roles across restarts (mode 0600)', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'dev-idp-state-'));
      try {
        const first = await startDevIdp({ apiResource: API, dataDir });
        const call = await managementOf(first);
        const user = (await call<Entity>('POST', '/users', { username: 'kept_user', password: 'a-dev-password' })).body;
        const organization = (await call<Entity>('POST', '/organizations', { name: 'Kept' })).body;
        const role = (await call<Entity>('POST', '/organization-roles', { name: 'kept-role' })).body;
        await call('POST', `/organizations/${organization.id}/users`, { userIds: [user.id] });
        await call('POST', `/organizations/${organization.id}/users/${user.id}/roles`, { organizationRoleIds: [role.id] });
        const application = (await call<Entity>('POST', '/applications', { name: 'kept app', type: 'MachineToMachine' })).body;
        const secret = (await call<{ value: string }>('POST', `/applications/${application.id}/secrets`, { name: 'kept' })).body;
        await first.stop();

        const second = await startDevIdp({ apiResource: API, dataDir });
        try {
          const again = await managementOf(second);
          expect((await again('GET', `/users/${user.id}`)).body).toMatchObject({ username: 'kept_user', hasPassword: true });
          expect((await again('GET', `/organizations/${organization.id}`)).body).toMatchObject({ name: 'Kept' });
          expect((await again<{ id: string }[]>('GET', `/organizations/${organization.id}/users/${user.id}/roles`)).body.map((held) => held.id)).toEqual([role.id]);
          const token = await second.clientCredentialsToken({ clientId: application.id, clientSecret: secret.value, resource: MANAGEMENT_API_RESOURCE });
          expect(decodeJwt(token)).toMatchObject({ sub: application.id });
        } finally {
          await second.stop();
        }
        expect((await stat(join(dataDir, 'management-state.json'))).mode & 0o777).toBe(0o600);
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });

    it('rotates its signing key as Logto 1.42 (POST /api/configs/oidc/private-keys/rotate): JWKS has the new and the previous key, new tokens use the new one, kept across restarts', async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'dev-idp-rotate-'));
      try {
        const first = await startDevIdp({ apiResource: API, dataDir });
        const call = await managementOf(first);
        const before = await first.mintUserToken({ sub: 'alice', scopes: [] });
        const listed = await call<{ id: string; status: string }[]>('GET', '/configs/oidc/private-keys');
        expect(listed.body).toEqual([expect.objectContaining({ status: 'Current', signingKeyAlgorithm: 'EC' })]);

        const rotated = await call<{ id: string; status: string; signingKeyAlgorithm: string; createdAt: number }[]>('POST', '/configs/oidc/private-keys/rotate', {});
        expect(rotated.status).toBe(200);
        expect(rotated.body.map((key) => [key.status, key.signingKeyAlgorithm])).toEqual([['Current', 'EC'], ['Previous', 'EC']]);
        expect(rotated.body[1]!.id).toBe(listed.body[0]!.id);
        expect(JSON.stringify(rotated.body)).not.toMatch(/"d"|PRIVATE/);

        const jwks = createRemoteJWKSet(new URL(first.jwksUri));
        const after = await first.mintUserToken({ sub: 'alice', scopes: [] });
        const afterKid = decodeProtectedHeader(after).kid;
        expect(afterKid).not.toBe(decodeProtectedHeader(before).kid);
        const published = ((await (await fetch(first.jwksUri)).json()) as { keys: JWK[] }).keys.map((key) => key.kid);
        expect(published).toEqual([afterKid, decodeProtectedHeader(before).kid]);
        await jwtVerify(before, jwks, { audience: API });
        await jwtVerify(after, jwks, { audience: API });
        // The Management API takes tokens of the new key, too.
        expect((await (await managementOf(first))('GET', '/organizations')).status).toBe(200);
        await first.stop();

        const second = await startDevIdp({ apiResource: API, dataDir });
        try {
          expect(second.kid).toBe(afterKid);
          await jwtVerify(before, createRemoteJWKSet(new URL(second.jwksUri)), { audience: API });
          const again = await managementOf(second);
          // A second rotation drops the oldest key, as Logto's does; an RSA key signs RS256.
          const rsa = await again<{ status: string; signingKeyAlgorithm: string }[]>('POST', '/configs/oidc/private-keys/rotate', { signingKeyAlgorithm: 'RSA' });
          expect(rsa.body.map((key) => [key.status, key.signingKeyAlgorithm])).toEqual([['Current', 'RSA'], ['Previous', 'EC']]);
          const rs256 = await second.mintUserToken({ sub: 'alice', scopes: [] });
          expect(decodeProtectedHeader(rs256).alg).toBe('RS256');
          await expect(jwtVerify(before, createRemoteJWKSet(new URL(second.jwksUri)), { audience: API })).rejects.toThrow();
          await jwtVerify(after, createRemoteJWKSet(new URL(second.jwksUri)), { audience: API });
        } finally {
          await second.stop();
        }
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    }, 60_000);
  });

  describe('rotation input, as Logto', () => {
    it('refuses bad bodies with 400 and a grace period (staged rotation) with 422, changing nothing', async () => {
      const before = ((await (await fetch(idp.jwksUri)).json()) as { keys: JWK[] }).keys.map((key) => key.kid);
      expect((await api('POST', '/configs/oidc/private-keys/rotate', { signingKeyAlgorithm: 'HS256' })).status).toBe(400);
      expect((await api('POST', '/configs/oidc/private-keys/rotate', { rotationGracePeriod: -1 })).status).toBe(400);
      expect((await api('POST', '/configs/oidc/private-keys/rotate', { extra: true })).status).toBe(400);
      expect((await api('POST', '/configs/oidc/nonsense/rotate', {})).status).toBe(400);
      expect((await api('POST', '/configs/oidc/private-keys/rotate', { rotationGracePeriod: 60 })).body).toMatchObject({ code: 'oidc.invalid_request' });
      expect((await api('POST', '/configs/oidc/private-keys/rotate', {}, null)).status).toBe(401);
      expect(((await (await fetch(idp.jwksUri)).json()) as { keys: JWK[] }).keys.map((key) => key.kid)).toEqual(before);
    });
  });

  describe('seeded as bootstrapped (config "seedLogtoBootstrap", as config/dev-idp.json)', () => {
    it("has the bootstrap's API resource, scopes, organization roles and global roles, from its desired state", async () => {
      const seeded = await startDevIdp({ apiResource: API, configFile: resolve(__dirname, '../../../config/dev-idp.json') });
      try {
        const call = await managementOf(seeded);
        const resource = (await call<ApiResource[]>('GET', '/resources')).body.find((candidate) => candidate.indicator === API)!;
        expect(resource.name).toBe(API_RESOURCE_NAME);
        const scopes = (await call<{ name: string; description: string }[]>('GET', `/resources/${resource.id}/scopes`)).body;
        expect(scopes.map(({ name, description }) => ({ name, description }))).toEqual(API_SCOPES.map(({ name, description }) => ({ name, description })));
        const organizationRoles = (await call<{ name: string; type: string; resourceScopes: { name: string }[] }[]>('GET', '/organization-roles')).body;
        expect(organizationRoles.map((role) => ({ name: role.name, type: role.type, scopes: role.resourceScopes.map((scope) => scope.name) }))).toEqual(
          ORGANIZATION_ROLES.map((role) => ({ name: role.name, type: role.type, scopes: [...role.scopes] })),
        );
        const roles = (await call<{ id: string; name: string; type: string }[]>('GET', '/roles')).body;
        for (const spec of GLOBAL_ROLES) {
          const role = roles.find((candidate) => candidate.name === spec.name)!;
          expect(role.type).toBe(spec.type);
          const held = (await call<{ name: string }[]>('GET', `/roles/${role.id}/scopes`)).body.map((scope) => scope.name);
          expect(held).toEqual([...spec.scopes]);
        }
      } finally {
        await seeded.stop();
      }
    }, 60_000);
  });
});
