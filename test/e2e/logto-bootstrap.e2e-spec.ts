import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

import { type BootstrapOptions, BootstrapRefusedError, type BootstrapResult, run } from '../../scripts/logto-bootstrap';
import { type DevIdp, MANAGEMENT_API_RESOURCE, startDevIdp } from '../support/dev-idp';

// The bootstrap registers its own resource: a different indicator from the one the dev IdP defines at start.
const API = 'https://api.bootstrap.test.cameleer.local';
const REDIRECT = 'https://console.bootstrap.test/callback';
const REPO_ROOT = resolve(__dirname, '../..');

interface Resource {
  id: string;
  name: string;
  indicator: string;
}
interface Scope {
  id: string;
  name: string;
  description: string | null;
  resourceId: string;
}
interface OrganizationRole {
  id: string;
  name: string;
  resourceScopes: { id: string; name: string; resource: { id: string } }[];
}
interface Role {
  id: string;
  name: string;
  type: string;
}
interface Application {
  id: string;
  name: string;
  type: string;
  oidcClientMetadata: { redirectUris: string[]; postLogoutRedirectUris: string[] };
}

describe('npm run logto:bootstrap (against the dev IdP)', () => {
  let idp: DevIdp;
  let admin: { clientId: string; clientSecret: string };
  let managementToken: string;
  let options: BootstrapOptions;

  beforeAll(async () => {
    idp = await startDevIdp();
    admin = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
    managementToken = await idp.clientCredentialsToken({ ...admin, resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
    options = {
      baseUrl: idp.endpoint,
      adminAppId: admin.clientId,
      adminAppSecret: admin.clientSecret,
      apiResource: API,
      uiRedirectUris: [REDIRECT],
    };
  });

  afterAll(async () => {
    await idp.stop();
  });

  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${idp.endpoint}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${managementToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  };
  const get = async <T>(path: string): Promise<T> => {
    const { status, body } = await api<T>('GET', path);
    expect(status).toBe(200);
    return body;
  };

  /** What exists in Logto, summarized per item, for before/after comparisons. */
  const snapshot = async () => {
    const resources = await get<Resource[]>('/resources');
    const roles = await get<Role[]>('/roles?page_size=100');
    const applications = await get<Application[]>('/applications');
    const organizationRoles = await get<OrganizationRole[]>('/organization-roles?page_size=100');
    return {
      resources: resources.length,
      roles: roles.length,
      applications: applications.length,
      organizationRoles: organizationRoles.map((role) => `${role.name}:${role.resourceScopes.map((scope) => scope.name).sort().join(',')}`).sort(),
    };
  };

  const actions = (result: BootstrapResult): string[] => [...new Set(result.items.map((item) => item.action))];

  let first: BootstrapResult;

  it('a dry run reports what it would create and changes nothing', async () => {
    const before = await snapshot();
    const dry = await run({ ...options, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.changed).toBe(true);
    expect(dry.items.filter((item) => item.action === 'would create').map((item) => item.item)).toEqual(
      expect.arrayContaining([`API resource ${API}`, 'organization role owner', 'global role platform-operator', 'machine-to-machine app cameleer-saas']),
    );
    expect(await snapshot()).toEqual(before);
  });

  it('the first run creates the resource, scopes, roles and both applications', async () => {
    first = await run(options);
    expect(first.changed).toBe(true);
    expect(first.items.find((item) => item.item === `API resource ${API}`)?.action).toBe('created');
    // Logto's seeded "Logto Management API access" role (present in the dev IdP too) is reused, not duplicated.
    expect(first.items.find((item) => item.item === 'Management API role')).toMatchObject({ action: 'unchanged' });
    expect(first.items.filter((item) => item.item !== 'Management API role').map((item) => item.action)).toEqual(
      first.items.filter((item) => item.item !== 'Management API role').map(() => 'created'),
    );

    const resource = (await get<Resource[]>('/resources')).find((candidate) => candidate.indicator === API)!;
    expect(resource.name).toBe('Cameleer platform API');
    const scopes = await get<Scope[]>(`/resources/${resource.id}/scopes`);
    expect(scopes.map((scope) => scope.name).sort()).toEqual(['platform:read', 'platform:write', 'tenant:admin', 'tenant:read']);
    expect(scopes.every((scope) => (scope.description ?? '').length > 0)).toBe(true);

    const organizationRoles = await get<OrganizationRole[]>('/organization-roles');
    const scopeNames = (name: string) =>
      organizationRoles
        .find((role) => role.name === name)
        ?.resourceScopes.filter((scope) => scope.resource.id === resource.id)
        .map((scope) => scope.name)
        .sort();
    expect(scopeNames('owner')).toEqual(['tenant:admin', 'tenant:read']);
    expect(scopeNames('admin')).toEqual(['tenant:admin', 'tenant:read']);
    expect(scopeNames('member')).toEqual(['tenant:read']);

    const operator = (await get<Role[]>('/roles?type=User')).find((role) => role.name === 'platform-operator')!;
    expect(operator.type).toBe('User');
    expect((await get<Scope[]>(`/roles/${operator.id}/scopes`)).map((scope) => scope.name).sort()).toEqual(['platform:read', 'platform:write']);

    const m2m = (await get<Application[]>('/applications?types=MachineToMachine')).filter((app) => app.name === 'cameleer-saas');
    expect(m2m).toHaveLength(1);
    const m2mRoles = await get<Role[]>(`/applications/${m2m[0]!.id}/roles`);
    expect(m2mRoles.map((role) => role.name)).toEqual(['Logto Management API access']);

    const spa = (await get<Application[]>('/applications?types=SPA')).filter((app) => app.name === 'Cameleer UI');
    expect(spa).toHaveLength(1);
    expect(spa[0]!.oidcClientMetadata).toEqual({ redirectUris: [REDIRECT], postLogoutRedirectUris: ['https://console.bootstrap.test/'] });

    const env = Object.fromEntries(first.env.map(({ name, value }) => [name, value]));
    expect(env).toEqual({
      LOGTO_API_RESOURCE: API,
      LOGTO_M2M_APP_ID: m2m[0]!.id,
      LOGTO_M2M_APP_SECRET: expect.stringMatching(/^\S{16,}$/),
      LOGTO_UI_APP_ID: spa[0]!.id,
    });
  });

  it('the created M2M credential printed by the bootstrap obtains a Management API token', async () => {
    const env = Object.fromEntries(first.env.map(({ name, value }) => [name, value]));
    const token = await idp.clientCredentialsToken({
      clientId: env.LOGTO_M2M_APP_ID!,
      clientSecret: env.LOGTO_M2M_APP_SECRET!,
      resource: MANAGEMENT_API_RESOURCE,
      scope: 'all',
    });
    const response = await fetch(`${idp.endpoint}/api/organizations`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
  });

  it('a second run changes nothing, says so, and prints no secret', async () => {
    const before = await snapshot();
    const second = await run(options);
    expect(second.changed).toBe(false);
    expect(actions(second)).toEqual(['unchanged']);
    expect(second.items.map((item) => item.item)).toEqual(first.items.map((item) => item.item));
    expect(second.env.find((line) => line.name === 'LOGTO_M2M_APP_SECRET')?.value).toBeUndefined();
    expect(second.env.find((line) => line.name === 'LOGTO_M2M_APP_ID')?.value).toBe(first.env.find((line) => line.name === 'LOGTO_M2M_APP_ID')?.value);
    expect(await snapshot()).toEqual(before);
  });

  it('runs as a child process too (npm run logto:bootstrap), exit 0 and the summary says nothing changed', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', './scripts/register-ts.js', 'scripts/logto-bootstrap.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        LOGTO_ENDPOINT: idp.endpoint,
        LOGTO_ADMIN_M2M_APP_ID: admin.clientId,
        LOGTO_ADMIN_M2M_APP_SECRET: admin.clientSecret,
        LOGTO_API_RESOURCE: API,
        CAMELEER_UI_REDIRECT_URIS: REDIRECT,
      },
    });
    expect(stdout).toContain('Nothing to change: all 12 items are in place (unchanged).');
    expect(stdout).toMatch(/^LOGTO_API_RESOURCE=https:\/\/api\.bootstrap\.test\.cameleer\.local$/m);
    expect(stdout).not.toMatch(/^LOGTO_M2M_APP_SECRET=/m);
  });

  it('repairs a role that lost a scope (updated), then is quiet again', async () => {
    const owner = (await get<OrganizationRole[]>('/organization-roles')).find((role) => role.name === 'owner')!;
    const adminScope = owner.resourceScopes.find((scope) => scope.name === 'tenant:admin')!;
    expect((await api('DELETE', `/organization-roles/${owner.id}/resource-scopes/${adminScope.id}`)).status).toBe(204);

    const repaired = await run(options);
    expect(repaired.items.filter((item) => item.action !== 'unchanged')).toEqual([
      { item: 'organization role owner', action: 'updated', detail: '+tenant:admin' },
    ]);
    expect((await run(options)).changed).toBe(false);
  });

  it('refuses, naming the role, once an organization role holds platform:write (exit 3 from the CLI)', async () => {
    const resource = (await get<Resource[]>('/resources')).find((candidate) => candidate.indicator === API)!;
    const platformWrite = (await get<Scope[]>(`/resources/${resource.id}/scopes`)).find((scope) => scope.name === 'platform:write')!;
    const member = (await get<OrganizationRole[]>('/organization-roles')).find((role) => role.name === 'member')!;
    expect((await api('POST', `/organization-roles/${member.id}/resource-scopes`, { scopeIds: [platformWrite.id] })).status).toBe(201);

    const before = await snapshot();
    const refusal = run(options);
    await expect(refusal).rejects.toBeInstanceOf(BootstrapRefusedError);
    await expect(refusal).rejects.toThrow(/organization role "member" holds platform:write/);
    await expect(run({ ...options, dryRun: true })).rejects.toThrow(/"member" holds platform:write/);
    expect(await snapshot()).toEqual(before);

    const child = promisify(execFile)(process.execPath, ['-r', './scripts/register-ts.js', 'scripts/logto-bootstrap.ts'], {
      cwd: REPO_ROOT,
      env: {
        PATH: process.env.PATH,
        LOGTO_ENDPOINT: idp.endpoint,
        LOGTO_ADMIN_M2M_APP_ID: admin.clientId,
        LOGTO_ADMIN_M2M_APP_SECRET: admin.clientSecret,
        LOGTO_API_RESOURCE: API,
      },
    });
    await expect(child).rejects.toMatchObject({ code: 3, stderr: expect.stringContaining('organization role "member" holds platform:write') });
  });
});

describe('dev IdP Management API additions used by the bootstrap', () => {
  let idp: DevIdp;
  let token: string;

  beforeAll(async () => {
    idp = await startDevIdp();
    const app = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
    token = await idp.clientCredentialsToken({ ...app, resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
  });

  afterAll(async () => {
    await idp.stop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${idp.endpoint}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as Record<string, unknown> & unknown[] };
  };

  it('resources: create 201, duplicate indicator 422, Management API listed and not patchable', async () => {
    const created = await call('POST', '/resources', { name: 'R', indicator: 'https://r.test' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'R', indicator: 'https://r.test', scopes: [], accessTokenTtl: 3600 });
    expect((await call('POST', '/resources', { name: 'R2', indicator: 'https://r.test' })).body).toMatchObject({
      code: 'resource.resource_identifier_in_use',
    });
    const patched = await call('PATCH', `/resources/${String(created.body.id)}`, { name: 'R renamed' });
    expect(patched).toMatchObject({ status: 200, body: { name: 'R renamed', indicator: 'https://r.test' } });

    const listed = await call('GET', '/resources?includeScopes=true');
    const management = (listed.body as unknown as (Resource & { scopes: Scope[] })[]).find((resource) => resource.indicator === MANAGEMENT_API_RESOURCE)!;
    expect(management.scopes.map((scope) => scope.name)).toEqual(['all']);
    expect(await call('PATCH', `/resources/${management.id}`, { name: 'x' })).toMatchObject({
      status: 400,
      body: { code: 'resource.cannot_modify_management_api' },
    });
    expect(await call('GET', '/resources/nope')).toMatchObject({ status: 404, body: { code: 'entity.not_exists_with_id' } });
  });

  it('roles: paginated list with type filter, 200 on create, name_in_use and scope_exists 422, no Management API scope on user roles', async () => {
    const resource = (await call('POST', '/resources', { name: 'Roles test', indicator: 'https://roles.test' })).body;
    const scope = (await call('POST', `/resources/${String(resource.id)}/scopes`, { name: 'x:read' })).body;
    const role = await call('POST', '/roles', { name: 'reader', description: 'Reads', scopeIds: [scope.id] });
    expect(role).toMatchObject({ status: 200, body: { name: 'reader', type: 'User', isDefault: false } });
    expect((await call('POST', '/roles', { name: 'reader', description: 'again' })).body).toMatchObject({ code: 'role.name_in_use' });
    expect((await call('POST', '/roles', { name: 'no description' })).status).toBe(400);
    expect((await call('POST', `/roles/${String(role.body.id)}/scopes`, { scopeIds: [scope.id] })).body).toMatchObject({
      code: 'role.scope_exists',
    });

    const management = (await call('GET', '/resources?includeScopes=true')).body as unknown as (Resource & { scopes: Scope[] })[];
    const all = management.find((candidate) => candidate.indicator === MANAGEMENT_API_RESOURCE)!.scopes[0]!;
    expect((await call('POST', `/roles/${String(role.body.id)}/scopes`, { scopeIds: [all.id] })).body).toMatchObject({
      code: 'role.management_api_scopes_not_assignable_to_user_role',
    });
    expect((await call('POST', '/roles/nope/scopes', { scopeIds: [scope.id] })).status).toBe(404);

    const users = await call('GET', '/roles?type=User');
    expect(users.headers.get('total-number')).toBe('1');
    expect((users.body as unknown as Role[]).map((candidate) => candidate.name)).toEqual(['reader']);
    const machines = (await call('GET', '/roles?type=MachineToMachine')).body as unknown as Role[];
    expect(machines.map((candidate) => candidate.name)).toEqual(['Logto Management API access']);
    expect((await call('GET', '/roles?type=Robot')).status).toBe(400);

    const roleScopes = (await call('GET', `/roles/${String(role.body.id)}/scopes`)).body as unknown as (Scope & { resource: Resource })[];
    expect(roleScopes.map((candidate) => [candidate.name, candidate.resource.indicator])).toEqual([['x:read', 'https://roles.test']]);
  });

  it('applications: create 200 with a secret, M2M roles 201, type checks 422, SPA redirect URIs validated', async () => {
    const m2m = await call('POST', '/applications', { name: 'machine', type: 'MachineToMachine' });
    expect(m2m).toMatchObject({ status: 200, body: { name: 'machine', type: 'MachineToMachine', secret: expect.any(String) } });
    const spa = await call('POST', '/applications', {
      name: 'ui',
      type: 'SPA',
      oidcClientMetadata: { redirectUris: ['https://ui.test/cb'], postLogoutRedirectUris: [] },
    });
    expect(spa.status).toBe(200);
    expect((await call('POST', '/applications', { name: 'bad', type: 'SPA', oidcClientMetadata: { redirectUris: ['not a url'] } })).status).toBe(400);

    const machineRole = (await call('POST', '/roles', { name: 'machine role', description: 'M2M', type: 'MachineToMachine' })).body;
    const userRole = (await call('POST', '/roles', { name: 'user role', description: 'U' })).body;
    expect(await call('POST', `/applications/${String(m2m.body.id)}/roles`, { roleIds: [machineRole.id] })).toMatchObject({
      status: 201,
      body: { roleIds: [machineRole.id], addedRoleIds: [machineRole.id] },
    });
    expect((await call('POST', `/applications/${String(m2m.body.id)}/roles`, { roleIds: [machineRole.id] })).body).toMatchObject({ addedRoleIds: [] });
    expect((await call('POST', `/applications/${String(m2m.body.id)}/roles`, { roleIds: [userRole.id] })).body).toMatchObject({
      code: 'application.invalid_role_type',
    });
    expect((await call('POST', `/applications/${String(spa.body.id)}/roles`, { roleIds: [machineRole.id] })).body).toMatchObject({
      code: 'application.invalid_type',
    });
    expect(((await call('GET', `/applications/${String(m2m.body.id)}/roles`)).body as unknown as Role[]).map((role) => role.name)).toEqual(['machine role']);

    const patched = await call('PATCH', `/applications/${String(spa.body.id)}`, { oidcClientMetadata: { postLogoutRedirectUris: ['https://ui.test/'] } });
    expect(patched.body).toMatchObject({ oidcClientMetadata: { redirectUris: ['https://ui.test/cb'], postLogoutRedirectUris: ['https://ui.test/'] } });
    expect(await call('PATCH', '/applications/nope', { name: 'x' })).toMatchObject({ status: 404, body: { code: 'entity.not_exists' } });
    expect(await call('GET', '/applications/nope')).toMatchObject({ status: 404, body: { code: 'entity.not_exists_with_id' } });
    expect(((await call('GET', '/applications?types=SPA')).body as unknown as Application[]).map((app) => app.name)).toEqual(['ui']);
  });
});
