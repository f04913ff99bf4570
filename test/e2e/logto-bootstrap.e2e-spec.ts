import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

import { decodeJwt } from 'jose';

import { HANDLED_LOGTO_EVENTS } from '@app/logto-webhooks';
import { type BootstrapOptions, BootstrapRefusedError, type BootstrapResult, optionsFromEnv, run } from '../../scripts/logto-bootstrap';
import { type DevIdp, MANAGEMENT_API_RESOURCE, startDevIdp } from '../support/dev-idp';

// The bootstrap registers its own resource: a different indicator from the one the dev IdP defines at start.
const API = 'https://api.bootstrap.test.cameleer.local';
const REDIRECT = 'https://console.bootstrap.test/callback';
const REPO_ROOT = resolve(__dirname, '../..');

/** The printed env line of the control plane's secret. */
const printed = (result: BootstrapResult) => result.env.find((line) => line.name === 'LOGTO_M2M_APP_SECRET');

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
  type: string;
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
interface ApplicationSecret {
  name: string;
  value: string;
  expiresAt: number | null;
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

  it('stops before any change while a role of ours exists with the other type (user vs machine-to-machine)', async () => {
    const userRole = await api<Role>('POST', '/roles', { name: 'platform-automation', description: 'made by hand', type: 'User' });
    const organizationRole = await api<OrganizationRole>('POST', '/organization-roles', { name: 'tenant-automation', type: 'User' });
    expect([userRole.status, organizationRole.status]).toEqual([200, 201]);

    const before = await snapshot();
    const failed = run(options);
    await expect(failed).rejects.toThrow(/the organization role "tenant-automation" exists with type User; it must be MachineToMachine/);
    await expect(failed).rejects.toThrow(/the global role "platform-automation" exists with type User; it must be MachineToMachine/);
    expect(await snapshot()).toEqual(before);

    // The operator renames them (as the message says); the lifecycle below starts from there.
    expect((await api('PATCH', `/roles/${userRole.body.id}`, { name: 'hand-made' })).status).toBe(200);
    expect((await api('PATCH', `/organization-roles/${organizationRole.body.id}`, { name: 'hand-made' })).status).toBe(200);
  });

  it('a dry run reports what it would create and changes nothing', async () => {
    const before = await snapshot();
    const dry = await run({ ...options, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.changed).toBe(true);
    expect(dry.items.filter((item) => item.action === 'would create').map((item) => item.item)).toEqual(
      expect.arrayContaining([
        `API resource ${API}`,
        'organization role owner',
        'organization role tenant-automation',
        'global role platform-operator',
        'global role platform-automation',
        'machine-to-machine app cameleer-saas',
      ]),
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
    expect(scopeNames('tenant-automation')).toEqual(['tenant:admin', 'tenant:read']);
    expect(Object.fromEntries(organizationRoles.map((role) => [role.name, role.type]))).toMatchObject({
      owner: 'User',
      admin: 'User',
      member: 'User',
      'tenant-automation': 'MachineToMachine',
    });

    const operator = (await get<Role[]>('/roles?type=User')).find((role) => role.name === 'platform-operator')!;
    expect(operator.type).toBe('User');
    expect((await get<Scope[]>(`/roles/${operator.id}/scopes`)).map((scope) => scope.name).sort()).toEqual(['platform:read', 'platform:write']);
    const automation = (await get<Role[]>('/roles?type=MachineToMachine')).find((role) => role.name === 'platform-automation')!;
    expect(automation.type).toBe('MachineToMachine');
    expect((await get<Scope[]>(`/roles/${automation.id}/scopes`)).map((scope) => scope.name).sort()).toEqual(['platform:read', 'platform:write']);

    const m2m = (await get<Application[]>('/applications?types=MachineToMachine')).filter((app) => app.name === 'cameleer-saas');
    expect(m2m).toHaveLength(1);
    const m2mRoles = await get<Role[]>(`/applications/${m2m[0]!.id}/roles`);
    expect(m2mRoles.map((role) => role.name)).toEqual(['Logto Management API access']);

    const spa = (await get<Application[]>('/applications?types=SPA')).filter((app) => app.name === 'Cameleer UI');
    expect(spa).toHaveLength(1);
    expect(spa[0]!.oidcClientMetadata).toEqual({ redirectUris: [REDIRECT], postLogoutRedirectUris: ['https://console.bootstrap.test/'] });

    // The printed secret is the one Logto lists for the app, never a value of the create answer.
    const [listed] = await get<ApplicationSecret[]>(`/applications/${m2m[0]!.id}/secrets`);
    const env = Object.fromEntries(first.env.map(({ name, value }) => [name, value]));
    expect(env).toEqual({
      LOGTO_API_RESOURCE: API,
      LOGTO_M2M_APP_ID: m2m[0]!.id,
      LOGTO_M2M_APP_SECRET: listed!.value,
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
    expect(stdout).toContain('Nothing to change: all 14 items are in place (unchanged).');
    expect(stdout).toMatch(/^LOGTO_API_RESOURCE=https:\/\/api\.bootstrap\.test\.cameleer\.local$/m);
    expect(stdout).not.toMatch(/^LOGTO_M2M_APP_SECRET=/m);
  });

  it('an automation app gets platform scopes through platform-automation; platform-operator is refused to it (deploy/README)', async () => {
    const app = await api<Application>('POST', '/applications', { name: 'ops-automation', type: 'MachineToMachine' });
    expect(app.status).toBe(200);
    const [secret] = await get<ApplicationSecret[]>(`/applications/${app.body.id}/secrets`);
    const roles = await get<Role[]>('/roles?page_size=100');
    const roleId = (name: string) => roles.find((role) => role.name === name)!.id;

    // Logto: 422 application.invalid_role_type (core routes/applications/application-role.ts); nothing assigned.
    expect(await api('POST', `/applications/${app.body.id}/roles`, { roleIds: [roleId('platform-operator')] })).toMatchObject({
      status: 422,
      body: { code: 'application.invalid_role_type' },
    });
    expect(await get<Role[]>(`/applications/${app.body.id}/roles`)).toEqual([]);

    expect(await api('POST', `/applications/${app.body.id}/roles`, { roleIds: [roleId('platform-automation')] })).toMatchObject({ status: 201 });
    const token = await idp.clientCredentialsToken({
      clientId: app.body.id,
      clientSecret: secret!.value,
      resource: API,
      scope: 'platform:read platform:write tenant:admin',
    });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ sub: app.body.id, client_id: app.body.id, aud: API });
    expect(String(claims.scope).split(' ').sort()).toEqual(['platform:read', 'platform:write']);
    expect(claims.organization_id).toBeUndefined();

    // Creating apps and assigning roles is not the bootstrap's business: a rerun still has nothing to change.
    expect((await run(options)).changed).toBe(false);
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

  it('applications: create 200 with no secret, M2M roles 201, type checks 422, SPA redirect URIs validated', async () => {
    const m2m = await call('POST', '/applications', { name: 'machine', type: 'MachineToMachine' });
    expect(m2m).toMatchObject({ status: 200, body: { name: 'machine', type: 'MachineToMachine' } });
    // As Logto 1.42 (core routes/applications/application-response.ts): no answer carries `secret`.
    expect(m2m.body).not.toHaveProperty('secret');
    expect((await call('GET', `/applications/${String(m2m.body.id)}`)).body).not.toHaveProperty('secret');
    expect((await call('PATCH', `/applications/${String(m2m.body.id)}`, { name: 'machine' })).body).not.toHaveProperty('secret');
    expect(((await call('GET', '/applications')).body as unknown as Record<string, unknown>[]).some((app) => 'secret' in app)).toBe(false);
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

  it('application secrets: a Default secret that authenticates, create 201, Logto\'s 400/404/422 answers (core routes/applications/application-secret.ts)', async () => {
    const m2m = (await call('POST', '/applications', { name: 'secretive', type: 'MachineToMachine' })).body;
    const secretsPath = `/applications/${String(m2m.id)}/secrets`;
    const listed = (await call('GET', secretsPath)).body as unknown as (ApplicationSecret & Record<string, unknown>)[];
    expect(listed).toEqual([
      { tenantId: 'default', applicationId: m2m.id, name: 'Default secret', value: expect.stringMatching(/^\w{32}$/), createdAt: expect.any(Number), expiresAt: null },
    ]);
    const token = await idp.clientCredentialsToken({ clientId: String(m2m.id), clientSecret: listed[0]!.value, resource: MANAGEMENT_API_RESOURCE });
    expect(decodeJwt(token).sub).toBe(m2m.id);

    const expiresAt = Date.now() + 3_600_000;
    const created = await call('POST', secretsPath, { name: 'rotation', expiresAt });
    expect(created).toMatchObject({ status: 201, body: { applicationId: m2m.id, name: 'rotation', expiresAt, value: expect.stringMatching(/^\w{32}$/) } });
    expect(created.body.value).not.toBe(listed[0]!.value);
    expect(((await call('GET', secretsPath)).body as unknown as ApplicationSecret[]).map((secret) => secret.name)).toEqual(['Default secret', 'rotation']);

    // Bad input changes nothing.
    expect(await call('POST', secretsPath, { name: 'rotation' })).toMatchObject({ status: 422, body: { code: 'application.secret_name_exists' } });
    expect(await call('POST', secretsPath, { name: '' })).toMatchObject({ status: 400, body: { code: 'guard.invalid_input' } });
    expect(await call('POST', secretsPath, { name: 'x'.repeat(257) })).toMatchObject({ status: 400, body: { code: 'guard.invalid_input' } });
    expect(await call('POST', secretsPath, { name: 'late', expiresAt: 'tomorrow' })).toMatchObject({ status: 400, body: { code: 'guard.invalid_input' } });
    expect(await call('POST', secretsPath, { name: 'past', expiresAt: Date.now() - 1_000 })).toMatchObject({
      status: 400,
      body: { code: 'request.invalid_input', message: 'Input is invalid. The value of `expiresAt` must be in the future.' },
    });
    expect(await call('POST', '/applications/nope/secrets', { name: 'x' })).toMatchObject({ status: 404, body: { code: 'entity.not_exists_with_id' } });
    expect(await call('GET', '/applications/nope/secrets')).toMatchObject({ status: 404, body: { code: 'entity.not_exists_with_id' } });
    expect((await call('GET', secretsPath)).body).toHaveLength(2);

    // Single-page apps have no secrets (Logto's check constraint on application_secrets).
    const spa = (await call('POST', '/applications', { name: 'no secrets', type: 'SPA' })).body;
    expect((await call('GET', `/applications/${String(spa.id)}/secrets`)).body).toEqual([]);
    expect(await call('POST', `/applications/${String(spa.id)}/secrets`, { name: 'x' })).toMatchObject({
      status: 422,
      body: { code: 'entity.db_constraint_violated' },
    });
    expect((await call('GET', `/applications/${String(spa.id)}/secrets`)).body).toEqual([]);
  });

  it('Link headers as Logto writes them: no /api, first-prev-last-next, a repeated parameter comma-joined (core middleware/koa-pagination.ts)', async () => {
    for (const name of ['paged-1', 'paged-2', 'paged-3']) {
      await call('POST', '/applications', { name, type: 'MachineToMachine' });
    }
    const total = ((await call('GET', '/applications?types=MachineToMachine&types=SPA')).body as unknown as Application[]).length;
    expect(total).toBeGreaterThanOrEqual(3);
    const page = await call('GET', '/applications?types=MachineToMachine&types=SPA&page=2&page_size=1');
    expect(page.status).toBe(200);
    expect(page.headers.get('total-number')).toBe(String(total));
    const link = (target: number, rel: string) => `<${idp.endpoint}/applications?types=MachineToMachine%2CSPA&page=${target}&page_size=1>; rel="${rel}"`;
    expect(page.headers.get('link')).toBe([link(1, 'first'), link(1, 'prev'), link(total, 'last'), link(3, 'next')].join(', '));
  });
});

/**
 * Logto 1.20–1.41 answer an app's create with its internal secret (`#internal:…`), 1.42 with none (the dev IdP's
 * way). A response-rewriting fetch stands in for the older versions; everything else is the dev IdP.
 */
describe('npm run logto:bootstrap prints only a secret listed under /applications/:id/secrets', () => {
  let idp: DevIdp;
  let options: BootstrapOptions;

  beforeAll(async () => {
    idp = await startDevIdp();
    const admin = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
    options = { baseUrl: idp.endpoint, adminAppId: admin.clientId, adminAppSecret: admin.clientSecret, apiResource: API };
  });

  afterAll(async () => {
    await idp.stop();
  });

  const INTERNAL = '#internal:Q7vUeYzT3xW9kLmN2pRsA4bC6dEfGhJk';

  /** A fetch that answers `POST /api/applications` as Logto 1.37 does, and lets `rewriteSecrets` change the secrets list. */
  const olderLogto =
    (rewriteSecrets: (secrets: ApplicationSecret[]) => unknown = (secrets) => secrets): typeof fetch =>
    async (input, init) => {
      const response = await fetch(input, init);
      const { pathname } = new URL(input instanceof Request ? input.url : String(input));
      const method = init?.method ?? 'GET';
      if (method === 'POST' && pathname === '/api/applications' && response.ok) {
        return Response.json({ ...((await response.json()) as object), secret: INTERNAL }, { status: response.status });
      }
      if (method === 'GET' && /^\/api\/applications\/[^/]+\/secrets$/.test(pathname) && response.ok) {
        return Response.json(rewriteSecrets((await response.json()) as ApplicationSecret[]), { status: response.status });
      }
      return response;
    };

  it('a dry run, then a run against an older Logto print the listed secret, never the internal one', async () => {
    expect(printed(await run({ ...options, dryRun: true, fetch: olderLogto() }))?.value).toBeUndefined();
    const result = await run({ ...options, fetch: olderLogto() });
    const appId = result.env.find((line) => line.name === 'LOGTO_M2M_APP_ID')!.value!;
    const listed = (await (
      await fetch(`${idp.endpoint}/api/applications/${appId}/secrets`, {
        headers: { authorization: `Bearer ${await idp.clientCredentialsToken({ clientId: options.adminAppId, clientSecret: options.adminAppSecret, resource: MANAGEMENT_API_RESOURCE, scope: 'all' })}` },
      })
    ).json()) as ApplicationSecret[];
    expect(printed(result)?.value).toBe(listed[0]!.value);
    expect(JSON.stringify(result)).not.toContain('#internal:');
    expect(result.warnings).toEqual([
      expect.stringContaining('CAMELEER_UI_REDIRECT_URIS is not set'),
      expect.stringContaining('EDGE_AUTH_HOST and TENANT_BASE_DOMAIN are not set'),
      expect.stringContaining('LOGTO_WEBHOOK_URL and PUBLIC_URL are not set'),
    ]);
  });
});

describe('npm run logto:bootstrap registers the Logto webhook', () => {
  let idp: DevIdp;
  let options: BootstrapOptions;
  let token: string;
  const hooks = async () =>
    (await (await fetch(`${idp.endpoint}/api/hooks`, { headers: { authorization: `Bearer ${token}` } })).json()) as { id: string; name: string; events: string[]; config: { url: string }; signingKey: string }[];

  beforeAll(async () => {
    idp = await startDevIdp();
    const admin = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
    token = await idp.clientCredentialsToken({ ...admin, resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
    options = { baseUrl: idp.endpoint, adminAppId: admin.clientId, adminAppSecret: admin.clientSecret, apiResource: API, webhookUrl: 'http://127.0.0.1:3000/api/webhooks/logto' };
  });
  afterAll(() => idp.stop());

  const signingKeyLine = (result: BootstrapResult) => result.env.find((line) => line.name === 'LOGTO_WEBHOOK_SIGNING_KEY');

  it('creates the hook for the events the API handles and prints its signing key as an env line; a rerun changes nothing and prints it again', async () => {
    const dry = await run({ ...options, dryRun: true });
    expect(dry.items).toContainEqual(expect.objectContaining({ item: 'webhook cameleer-saas', action: 'would create' }));
    expect(await hooks()).toEqual([]);

    const first = await run(options);
    const [hook, ...others] = await hooks();
    expect(others).toEqual([]);
    expect(hook).toMatchObject({ name: 'cameleer-saas', config: { url: options.webhookUrl } });
    expect([...hook!.events].sort()).toEqual([...HANDLED_LOGTO_EVENTS].sort());
    expect(signingKeyLine(first)?.value).toBe(hook!.signingKey);

    const second = await run(options);
    expect(second.items.find((item) => item.item === 'webhook cameleer-saas')?.action).toBe('unchanged');
    expect(signingKeyLine(second)?.value).toBe(hook!.signingKey);
    expect(await hooks()).toHaveLength(1);
  });

  it('points a hook whose URL changed back at the API', async () => {
    const moved = await run({ ...options, webhookUrl: 'https://api.cameleer.example/api/webhooks/logto' });
    expect(moved.items.find((item) => item.item === 'webhook cameleer-saas')?.action).toBe('updated');
    expect((await hooks())[0]?.config.url).toBe('https://api.cameleer.example/api/webhooks/logto');
  });

  it('reads LOGTO_WEBHOOK_URL, else PUBLIC_URL + /api/webhooks/logto', () => {
    const env = { LOGTO_ENDPOINT: 'http://logto:3001', LOGTO_ADMIN_M2M_APP_ID: 'a', LOGTO_ADMIN_M2M_APP_SECRET: 's', LOGTO_API_RESOURCE: API };
    expect(optionsFromEnv({ ...env, PUBLIC_URL: 'https://api.example.com/' }).webhookUrl).toBe('https://api.example.com/api/webhooks/logto');
    expect(optionsFromEnv({ ...env, PUBLIC_URL: 'https://api.example.com', LOGTO_WEBHOOK_URL: 'http://api:3000/api/webhooks/logto' }).webhookUrl).toBe('http://api:3000/api/webhooks/logto');
    expect(optionsFromEnv(env).webhookUrl).toBeUndefined();
    expect(() => optionsFromEnv({ ...env, LOGTO_WEBHOOK_URL: 'ftp://x' })).toThrow(/LOGTO_WEBHOOK_URL/);
  });
});

describe('npm run logto:bootstrap with no usable listed secret', () => {
  let idp: DevIdp;
  let options: BootstrapOptions;

  beforeAll(async () => {
    idp = await startDevIdp();
    const admin = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
    options = { baseUrl: idp.endpoint, adminAppId: admin.clientId, adminAppSecret: admin.clientSecret, apiResource: API };
  });

  afterAll(async () => {
    await idp.stop();
  });

  it('prints no secret and warns when the list holds only an internal or an expired one; a rerun has nothing to change', async () => {
    const rewrite: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      const { pathname } = new URL(input instanceof Request ? input.url : String(input));
      if ((init?.method ?? 'GET') === 'GET' && /^\/api\/applications\/[^/]+\/secrets$/.test(pathname) && response.ok) {
        const [secret] = (await response.json()) as ApplicationSecret[];
        return Response.json([
          { ...secret, name: 'Default secret', value: '#internal:Q7vUeYzT3xW9kLmN2pRsA4bC6dEfGhJk' },
          { ...secret, name: 'old', expiresAt: Date.now() - 60_000 },
        ]);
      }
      return response;
    };
    const result = await run({ ...options, fetch: rewrite });
    expect(result.items.find((item) => item.item === 'machine-to-machine app cameleer-saas')?.action).toBe('created');
    expect(printed(result)?.value).toBeUndefined();
    expect(JSON.stringify(result)).not.toContain('#internal:');
    expect(result.warnings).toContainEqual(expect.stringContaining('Logto listed no usable secret for "cameleer-saas"'));
    expect((await run(options)).changed).toBe(false);
  });
});
