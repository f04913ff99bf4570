/**
 * The Logto conformance suite, written once and run against two targets: a real Logto (npm run test:logto,
 * test/conformance/real-logto.logto-spec.ts) and the dev IdP (npm test, test/e2e/logto-conformance.e2e-spec.ts).
 * It drives the product as an operator would: the bootstrap, then the API with the bootstrap's credential, tenants
 * with their organizations, every token shape Logto issues through the guard and forward-auth, and a signing-key
 * rotation. docs/logto-contract.md is written from what it shows.
 *
 * Everything it creates in Logto carries this run's suffix, so it can run again against the same Logto.
 */
import { createHash, randomBytes } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import request from 'supertest';
import { PrincipalRevocations } from '@app/security';
import { MemberRemovals, TenantPurge } from '@app/tenants';

import { BootstrapRefusedError, type BootstrapResult, run } from '../../scripts/logto-bootstrap';
import { endSession } from '../support/dev-idp';
import { eventually } from '../support/eventually';
import { type AppCredential, type ConformanceUser, expectStatus, type LogtoUnderTest, MANAGEMENT_API_RESOURCE } from '../support/logto-under-test';
import { queryDatabase } from '../support/tenant-fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

const BASE_DOMAIN = 'conformance.test';
const PLATFORM_SCOPES = ['platform:read', 'platform:write'];
const TENANT_SCOPES = ['tenant:admin', 'tenant:read'];

interface Scope {
  id: string;
  name: string;
}
interface Resource extends Scope {
  indicator: string;
}
interface Role extends Scope {
  type: 'User' | 'MachineToMachine';
}
interface OrganizationRole extends Role {
  resourceScopes: { id: string; name: string; resource: { id: string } }[];
}
interface TenantBody {
  id: string;
  slug: string;
  name: string;
  status: string;
  logtoOrganizationId: string | null;
}
interface Organization {
  id: string;
  name: string;
  customData: Record<string, unknown>;
}

export function describeLogtoConformance(startTarget: () => Promise<LogtoUnderTest>): void {
  const runId = randomBytes(3).toString('hex');
  const api = `https://api.conformance-${runId}.test`;
  const uiRedirect = `https://console.conformance-${runId}.test/callback`;
  let logto: LogtoUnderTest;
  /** The first bootstrap run: its printed credential is the API's Management API app. */
  let bootstrapped: BootstrapResult | undefined;

  /** A Management API call that must succeed; its answer's body. */
  const management = async <T>(method: string, path: string, body?: unknown): Promise<T> =>
    expectStatus(await logto.management<T>(method, path, body), [200, 201, 204], `${method} ${path}`);
  const list = <T>(path: string): Promise<T> => management<T>('GET', path);
  const resourceOf = async (): Promise<Resource> => {
    const found = (await list<Resource[]>('/resources?page_size=100')).find((resource) => resource.indicator === api);
    if (found === undefined) {
      throw new Error(`no API resource ${api} in Logto`);
    }
    return found;
  };
  const scopeIds = async (names: string[]): Promise<string[]> => {
    const scopes = await list<Scope[]>(`/resources/${(await resourceOf()).id}/scopes`);
    return names.map((name) => scopes.find((scope) => scope.name === name)!.id);
  };
  /** Names of a role's scopes on this run's API resource. */
  const organizationRoleScopes = (role: OrganizationRole, resourceId: string): string[] =>
    role.resourceScopes.filter((scope) => scope.resource.id === resourceId).map((scope) => scope.name).sort();

  /** A machine-to-machine app; its secret read from the secrets list, which every Logto version has. */
  const createMachineApp = async (name: string, roleIds: string[] = []): Promise<AppCredential> => {
    const app = await management<{ id: string }>('POST', '/applications', { name: `${name} ${runId}`, type: 'MachineToMachine' });
    const secrets = await list<{ value: string }[]>(`/applications/${app.id}/secrets`);
    if (roleIds.length > 0) {
      await management('POST', `/applications/${app.id}/roles`, { roleIds });
    }
    return { clientId: app.id, clientSecret: secrets[0]!.value };
  };
  const m2mToken = async (app: AppCredential, scope?: string, organizationId?: string): Promise<string> => {
    const answer = await logto.clientCredentials(app, { resource: api, scope, organizationId });
    return String(expectStatus(answer, [200], 'client_credentials').access_token);
  };

  beforeAll(async () => {
    logto = await startTarget();
  });
  afterAll(async () => {
    await logto?.stop();
  });

  describe('npm run logto:bootstrap', () => {
    const options = () => ({
      baseUrl: logto.endpoint,
      adminAppId: logto.admin.clientId,
      adminAppSecret: logto.admin.clientSecret,
      apiResource: api,
      uiRedirectUris: [uiRedirect],
    });
    /** What the bootstrap may touch, summarised for before/after comparisons. */
    const snapshot = async () => ({
      resources: (await list<Resource[]>('/resources?page_size=100')).map((resource) => resource.indicator).sort(),
      roles: (await list<Role[]>('/roles?page_size=100')).map((role) => `${role.type}:${role.name}`).sort(),
      applications: (await list<Scope[]>('/applications?page_size=100')).map((app) => app.name).sort(),
      organizationRoles: (await list<OrganizationRole[]>('/organization-roles?page_size=100'))
        .map((role) => `${role.type}:${role.name}:${role.resourceScopes.map((scope) => `${scope.resource.id}/${scope.name}`).sort().join(',')}`)
        .sort(),
    });

    it('a dry run reports what it would create and changes nothing', async () => {
      const before = await snapshot();
      const dry = await run({ ...options(), dryRun: true });
      expect(dry).toMatchObject({ dryRun: true, changed: true });
      expect(dry.items).toContainEqual(expect.objectContaining({ item: `API resource ${api}`, action: 'would create' }));
      expect(await snapshot()).toEqual(before);
    });

    it('a run creates the resource, its scopes, the organization roles and the operator role', async () => {
      const first = await run(options());
      bootstrapped = first;
      expect(first.changed).toBe(true);
      expect(first.items).toContainEqual(expect.objectContaining({ item: `API resource ${api}`, action: 'created' }));
      const resource = await resourceOf();
      expect((await list<Scope[]>(`/resources/${resource.id}/scopes`)).map((scope) => scope.name).sort()).toEqual([...PLATFORM_SCOPES, ...TENANT_SCOPES]);

      const organizationRoles = await list<OrganizationRole[]>('/organization-roles?page_size=100');
      const scopesOf = (name: string) => organizationRoleScopes(organizationRoles.find((role) => role.name === name)!, resource.id);
      expect(scopesOf('owner')).toEqual(TENANT_SCOPES);
      expect(scopesOf('admin')).toEqual(TENANT_SCOPES);
      expect(scopesOf('member')).toEqual(['tenant:read']);

      const operator = (await list<Role[]>('/roles?type=User&page_size=100')).find((role) => role.name === 'platform-operator')!;
      const operatorScopes = await list<(Scope & { resourceId: string })[]>(`/roles/${operator.id}/scopes`);
      expect(operatorScopes.filter((scope) => scope.resourceId === resource.id).map((scope) => scope.name).sort()).toEqual(PLATFORM_SCOPES);
    });

    it('a run also gives automation a way in: a machine-to-machine global role with the platform scopes and a machine-to-machine organization role', async () => {
      // Logto gives applications only MachineToMachine roles (422 application.invalid_role_type otherwise).
      const resource = await resourceOf();
      const machineRoles = await list<Role[]>('/roles?type=MachineToMachine&page_size=100');
      const withPlatformScopes = [];
      for (const role of machineRoles) {
        const scopes = await list<(Scope & { resourceId: string })[]>(`/roles/${role.id}/scopes`);
        if (scopes.filter((scope) => scope.resourceId === resource.id).map((scope) => scope.name).sort().join(' ') === PLATFORM_SCOPES.join(' ')) {
          withPlatformScopes.push(role.name);
        }
      }
      expect(withPlatformScopes).toHaveLength(1);
      const organizationRoles = await list<OrganizationRole[]>('/organization-roles?page_size=100');
      const machineOrganizationRoles = organizationRoles.filter(
        (role) => role.type === 'MachineToMachine' && organizationRoleScopes(role, resource.id).includes('tenant:read'),
      );
      expect(machineOrganizationRoles).toHaveLength(1);
      expect(organizationRoleScopes(machineOrganizationRoles[0]!, resource.id).filter((name) => name.startsWith('platform:'))).toEqual([]);
    });

    it('prints a secret of the control plane app that Logto lists (never the hidden internal one), and it reaches the Management API', async () => {
      const env = Object.fromEntries((bootstrapped?.env ?? []).map(({ name, value }) => [name, value]));
      const appId = env.LOGTO_M2M_APP_ID!;
      const listed = (await list<{ value: string }[]>(`/applications/${appId}/secrets`)).map((candidate) => candidate.value);
      const createdNow = bootstrapped?.items.some((item) => item.item.startsWith('machine-to-machine app') && item.action === 'created');
      // A secret is printed only when the app is created (on a Logto this suite ran against before, it exists).
      const secret = env.LOGTO_M2M_APP_SECRET;
      expect(secret === undefined).toBe(!createdNow);
      if (secret !== undefined) {
        expect(listed).toContain(secret);
        const token = await logto.clientCredentials({ clientId: appId, clientSecret: secret }, { resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
        expect(token.status).toBe(200);
      }
    });

    it('a rerun has nothing to change', async () => {
      const before = await snapshot();
      const rerun = await run(options());
      expect(rerun.changed).toBe(false);
      expect([...new Set(rerun.items.map((item) => item.action))]).toEqual(['unchanged']);
      expect(await snapshot()).toEqual(before);
    });

    it('refuses, changing nothing, while an organization role holds a platform scope', async () => {
      const [platformWrite] = await scopeIds(['platform:write']);
      const member = (await list<OrganizationRole[]>('/organization-roles?page_size=100')).find((role) => role.name === 'member')!;
      try {
        await management('POST', `/organization-roles/${member.id}/resource-scopes`, { scopeIds: [platformWrite] });
        const before = await snapshot();
        await expect(run(options())).rejects.toBeInstanceOf(BootstrapRefusedError);
        await expect(run({ ...options(), dryRun: true })).rejects.toThrow(/organization role "member" holds platform:write/);
        expect(await snapshot()).toEqual(before);
      } finally {
        await management('DELETE', `/organization-roles/${member.id}/resource-scopes/${platformWrite}`);
      }
      expect((await run(options())).changed).toBe(false);
    });
  });

  describe('Management API behaviours the product depends on', () => {
    it('an unknown user: GET 404 entity.not_found; adding it to an organization 422 entity.relation_foreign_key_not_found', async () => {
      // The tenant sync checks an owner with GET /users/:id before it creates anything (OWNER_NOT_FOUND).
      expect(await logto.management('GET', '/users/nosuchuser01')).toMatchObject({ status: 404, body: { code: 'entity.not_found' } });
      const probe = await management<Organization>('POST', '/organizations', { name: `conformance probe ${runId}` });
      try {
        expect(await logto.management('POST', `/organizations/${probe.id}/users`, { userIds: ['nosuchuser01'] })).toMatchObject({
          status: 422,
          body: { code: 'entity.relation_foreign_key_not_found' },
        });
      } finally {
        await management('DELETE', `/organizations/${probe.id}`);
      }
    });

    it('an unknown organization: 404 on GET, PATCH and DELETE, each with its own code', async () => {
      expect(await logto.management('GET', '/organizations/nosuchorg01')).toMatchObject({ status: 404, body: { code: 'entity.not_exists_with_id' } });
      expect(await logto.management('PATCH', '/organizations/nosuchorg01', { name: 'x' })).toMatchObject({ status: 404, body: { code: 'entity.not_exists' } });
      expect(await logto.management('DELETE', '/organizations/nosuchorg01')).toMatchObject({ status: 404, body: { code: 'entity.not_found' } });
    });

    it('a new application: its usable secret is in the secrets list, not in the create answer; a User-type role is refused (422 application.invalid_role_type)', async () => {
      const created = await management<{ id: string; secret?: string }>('POST', '/applications', { name: `conformance probe ${runId}`, type: 'MachineToMachine' });
      const listed = (await list<{ value: string }[]>(`/applications/${created.id}/secrets`)).map((secret) => secret.value);
      expect(listed).toHaveLength(1);
      // Logto 1.42 sends no secret; 1.20-1.41 send a hidden "#internal:" one that the console neither lists nor revokes.
      expect(listed).not.toContain(created.secret);
      const token = await logto.clientCredentials({ clientId: created.id, clientSecret: listed[0]! }, { resource: MANAGEMENT_API_RESOURCE });
      expect(token.status).toBe(200);

      const userRole = await management<Role>('POST', '/roles', { name: `conformance user role ${runId}`, description: 'a User-type role', type: 'User' });
      expect(await logto.management('POST', `/applications/${created.id}/roles`, { roleIds: [userRole.id] })).toMatchObject({
        status: 422,
        body: { code: 'application.invalid_role_type' },
      });
    });
  });

  describe('the API against it', () => {
    let testApp: TestApp;
    let operatorApp: AppCredential;
    let operator: string;
    let owner: ConformanceUser;
    let tenant: TenantBody;
    /** Logto's webhook to the API under test (membership changes only: the drift tests below expect no other repair). */
    let hookId: string | undefined;

    const call = () => request(testApp.server);
    const asOperator = (method: 'get' | 'post' | 'patch' | 'delete', path: string) => call()[method](path).set('authorization', `Bearer ${operator}`);
    const verify = (slug: string, token: string) =>
      call().get('/api/auth/verify').set('x-forwarded-host', `${slug}.${BASE_DOMAIN}`).set('authorization', `Bearer ${token}`);
    const me = (token: string) => call().get('/api/auth/me').set('authorization', `Bearer ${token}`);
    const organization = (id: string) => logto.management<Organization>('GET', `/organizations/${id}`);
    const members = (organizationId: string) => list<{ id: string; organizationRoles: { name: string }[] }[]>(`/organizations/${organizationId}/users`);
    /**
     * A user added to an organization with one role in Logto itself, as in the console. (Not through this API's
     * members route: a role change there refuses the member's tokens issued up to REVOCATION_CLOCK_SKEW_SECONDS later.)
     */
    const joinInLogto = async (organizationId: string, userId: string, roleName: string): Promise<void> => {
      const role = (await list<OrganizationRole[]>('/organization-roles?page_size=100')).find((candidate) => candidate.name === roleName)!;
      await management('POST', `/organizations/${organizationId}/users`, { userIds: [userId] });
      await management('PUT', `/organizations/${organizationId}/users/${userId}/roles`, { organizationRoleIds: [role.id] });
    };
    const createTenant = async (slug: string, name: string, ownerUserId: string): Promise<TenantBody> => {
      const created = await asOperator('post', '/api/tenants').send({ slug, name, ownerUserId });
      expect({ status: created.status, tenantStatus: created.body.status }).toEqual({ status: 201, tenantStatus: 'ACTIVE' });
      return created.body as TenantBody;
    };

    beforeAll(async () => {
      // The bootstrap's own output configures the API, as deploy/README.md tells an operator to do.
      // (On a Logto the suite ran against before, the app exists and its secret is read as an operator would.)
      const printed = Object.fromEntries((bootstrapped?.env ?? []).map(({ name, value }) => [name, value]));
      if (printed.LOGTO_M2M_APP_ID === undefined) {
        throw new Error('the bootstrap did not run or printed no control plane app');
      }
      const secret = printed.LOGTO_M2M_APP_SECRET ?? (await list<{ value: string }[]>(`/applications/${printed.LOGTO_M2M_APP_ID}/secrets`))[0]!.value;
      // The key exists once the hook does, the URL once the API listens: created first, pointed at the API after.
      const hook = await management<{ id: string; signingKey: string }>('POST', '/hooks', {
        name: `conformance ${runId}`,
        events: ['Organization.Membership.Updated'],
        config: { url: 'http://127.0.0.1:9/not-yet' },
      });
      hookId = hook.id;
      testApp = await startTestApp({
        LOGTO_WEBHOOK_SIGNING_KEY: hook.signingKey,
        LOGTO_ENDPOINT: logto.endpoint,
        LOGTO_API_RESOURCE: api,
        LOGTO_M2M_APP_ID: printed.LOGTO_M2M_APP_ID,
        LOGTO_M2M_APP_SECRET: secret,
        TENANT_BASE_DOMAIN: BASE_DOMAIN,
        RATE_LIMIT_MAX: '100000',
        TENANT_RECONCILE_INTERVAL_MS: '200',
        TENANT_DRIFT_INTERVAL_MS: '3600000',
        TENANT_SYNC_BACKOFF_BASE_MS: '100',
        TENANT_SYNC_BACKOFF_MAX_MS: '500',
      });
      const { port } = testApp.server.address() as { port: number };
      await management('PATCH', `/hooks/${hook.id}`, { config: { url: `http://127.0.0.1:${port}/api/webhooks/logto` } });
      // Automation with platform scopes: an app holding a MachineToMachine global role (a User role cannot be given).
      const automationRole = await management<{ id: string }>('POST', '/roles', {
        name: `conformance automation ${runId}`,
        description: 'platform scopes for automation',
        type: 'MachineToMachine',
        scopeIds: await scopeIds(PLATFORM_SCOPES),
      });
      operatorApp = await createMachineApp('conformance operator', [automationRole.id]);
      operator = await m2mToken(operatorApp, PLATFORM_SCOPES.join(' '));
      owner = await logto.createUser('owner');
    });
    afterAll(async () => {
      if (hookId !== undefined) {
        await management('DELETE', `/hooks/${hookId}`);
      }
      await testApp?.close();
    });

    describe('tenants and their organizations', () => {
      it('refuses an owner Logto does not know with 422 OWNER_NOT_FOUND, creating nothing', async () => {
        const slug = `ghost-${runId}`;
        const before = (await list<Organization[]>('/organizations?page_size=100')).length;
        const refused = await asOperator('post', '/api/tenants').send({ slug, name: 'Ghost', ownerUserId: 'nosuchuser01' });
        expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 422, code: 'OWNER_NOT_FOUND' });
        expect((await asOperator('get', `/api/tenants?q=${slug}`).expect(200)).body.total).toBe(0);
        expect((await list<Organization[]>('/organizations?page_size=100')).length).toBe(before);
      });

      it('creates a tenant as an organization carrying its id, with the owner holding the owner role', async () => {
        tenant = await createTenant(`acme-${runId}`, 'Acme', owner.id);
        const created = expectStatus(await organization(tenant.logtoOrganizationId!), [200], 'the organization');
        expect(created).toMatchObject({ name: 'Acme', customData: { tenantId: tenant.id, slug: tenant.slug } });
        expect(await members(tenant.logtoOrganizationId!)).toEqual([
          expect.objectContaining({ id: owner.id, organizationRoles: [expect.objectContaining({ name: 'owner' })] }),
        ]);
      });

      it('renames the organization with the tenant', async () => {
        const renamed = await asOperator('patch', `/api/tenants/${tenant.id}`).send({ name: 'Acme Corp' }).expect(200);
        expect(renamed.body.name).toBe('Acme Corp');
        expect(expectStatus(await organization(tenant.logtoOrganizationId!), [200], 'the organization').name).toBe('Acme Corp');
      });

      it('reconciles an organization renamed or deleted behind its back', async () => {
        const other = await createTenant(`drift-${runId}`, 'Drift', owner.id);
        await management('PATCH', `/organizations/${other.logtoOrganizationId}`, { name: 'renamed in the console' });
        await asOperator('post', '/api/tenants/reconcile').expect(200);
        expect(expectStatus(await organization(other.logtoOrganizationId!), [200], 'the organization').name).toBe('Drift');

        await management('DELETE', `/organizations/${other.logtoOrganizationId}`);
        await asOperator('post', '/api/tenants/reconcile').expect(200);
        const recreated = await eventually(
          async () => {
            const current = (await asOperator('get', `/api/tenants/${other.id}`).expect(200)).body as TenantBody;
            expect(current.logtoOrganizationId).not.toBe(other.logtoOrganizationId);
            expect(current.logtoOrganizationId).not.toBeNull();
            return current;
          },
          { within: 15_000, every: 200 },
        );
        expect(expectStatus(await organization(recreated.logtoOrganizationId!), [200], 'the new organization')).toMatchObject({
          name: 'Drift',
          customData: { tenantId: other.id },
        });
        expect((await members(recreated.logtoOrganizationId!)).map((member) => member.id)).toEqual([owner.id]);
      });

      it("a member removed in Logto: Logto's signed webhook reaches the API, which refuses the member's token at once", async () => {
        const removed = await logto.createUser('removed');
        await management('POST', `/organizations/${tenant.logtoOrganizationId}/users`, { userIds: [removed.id] });
        const memberRole = (await list<OrganizationRole[]>('/organization-roles?page_size=100')).find((role) => role.name === 'member')!;
        await management('POST', `/organizations/${tenant.logtoOrganizationId}/users/roles`, { userIds: [removed.id], organizationRoleIds: [memberRole.id] });
        const signedIn = await logto.signIn(removed, api, TENANT_SCOPES);
        const token = await signedIn.organizationResourceToken(tenant.logtoOrganizationId!);
        await verify(tenant.slug, token).expect(200);
        await management('DELETE', `/organizations/${tenant.logtoOrganizationId}/users/${removed.id}`);
        await eventually(async () => expect((await verify(tenant.slug, token)).status).toBe(401), { within: 5000, every: 100 });
        const events = (await asOperator('get', '/api/events').expect(200)).body.items as { type: string; data: Record<string, unknown> }[];
        expect(events.filter((event) => event.type === 'member.removed' && event.data.userId === removed.id)).toEqual([
          expect.objectContaining({ data: { tenantId: tenant.id, organizationId: tenant.logtoOrganizationId, userId: removed.id, source: 'logto-webhook' } }),
        ]);
      });

      it('keeps the organization and its members at delete (refused meanwhile); the purge deletes it', async () => {
        const doomed = await createTenant(`doomed-${runId}`, 'Doomed', owner.id);
        const signedIn = await logto.signIn(owner, api, TENANT_SCOPES);
        const member = await signedIn.organizationResourceToken(doomed.logtoOrganizationId!);
        await verify(doomed.slug, member).expect(200);
        await asOperator('delete', `/api/tenants/${doomed.id}`).expect(204);
        expect((await verify(doomed.slug, member)).status).toBe(404);
        expect((await organization(doomed.logtoOrganizationId!)).status).toBe(200);
        expect((await members(doomed.logtoOrganizationId!)).map((user) => user.id)).toEqual([owner.id]);
        // The retention window over (TENANT_RETENTION_DAYS), the purge deletes the organization in Logto.
        await queryDatabase(testApp.database.url, `UPDATE tenants SET deleted_at = now() - interval '31 days' WHERE id = $1`, [doomed.id]);
        expect(await testApp.app.get(TenantPurge).purgeDue()).toContain(doomed.id);
        expect((await organization(doomed.logtoOrganizationId!)).status).toBe(404);
      });

      it('restores a deleted tenant SUSPENDED, with its organization and its members as they were in Logto', async () => {
        const kept = await createTenant(`kept-${runId}`, 'Kept', owner.id);
        const admin = await logto.createUser('kept_admin');
        await joinInLogto(kept.logtoOrganizationId!, admin.id, 'admin');
        const membership = async () =>
          (await members(kept.logtoOrganizationId!)).map((member) => `${member.id}:${member.organizationRoles.map((role) => role.name).sort().join(',')}`).sort();
        const before = await membership();
        expect(before).toEqual([`${admin.id}:admin`, `${owner.id}:owner`].sort());

        await asOperator('delete', `/api/tenants/${kept.id}`).expect(204);
        const restored = await asOperator('post', `/api/tenants/${kept.id}/restore`).expect(200);
        expect(restored.body.tenant).toMatchObject({ id: kept.id, status: 'SUSPENDED', logtoOrganizationId: kept.logtoOrganizationId });
        expect(expectStatus(await organization(kept.logtoOrganizationId!), [200], 'the organization')).toMatchObject({
          name: 'Kept',
          customData: { tenantId: kept.id, slug: kept.slug },
        });
        expect(await membership()).toEqual(before);

        // Resumed, the members' tokens for the same organization are accepted again: nothing had to be rebuilt in Logto.
        await asOperator('post', `/api/tenants/${kept.id}/resume`).expect(200);
        const token = await (await logto.signIn(admin, api, TENANT_SCOPES)).organizationResourceToken(kept.logtoOrganizationId!);
        const allowed = await verify(kept.slug, token).expect(200);
        expect(allowed.headers).toMatchObject({ 'x-cameleer-subject': admin.id, 'x-cameleer-tenant-id': kept.id });
      });
    });

    describe('members and invitations through the API', () => {
      let team: TenantBody;
      interface InvitationBody {
        id: string;
        email: string;
        roles: string[];
        status: string;
        acceptedUserId: string | null;
      }
      const memberRoles = async (userId: string): Promise<string[] | undefined> =>
        ((await asOperator('get', `/api/tenants/${team.id}/members?pageSize=100`).expect(200)).body as { items: { userId: string; roles: string[] }[] }).items.find(
          (member) => member.userId === userId,
        )?.roles;
      const invitationOf = async (id: string): Promise<InvitationBody | undefined> =>
        ((await asOperator('get', `/api/tenants/${team.id}/invitations?pageSize=100`).expect(200)).body as { items: InvitationBody[] }).items.find((item) => item.id === id);
      /** A user with a primary email, as an invitee needs (Logto compares it with the invitation's). */
      const userWithEmail = async (prefix: string): Promise<{ id: string; email: string }> => {
        const username = `${prefix}_${randomBytes(4).toString('hex')}`;
        const email = `${username}@conformance-${runId}.test`;
        const created = await management<{ id: string }>('POST', '/users', { username, primaryEmail: email });
        return { id: created.id, email };
      };

      beforeAll(async () => {
        team = await createTenant(`team-${runId}`, 'Team', owner.id);
      });

      it('lists the members with their organization roles by name', async () => {
        const listed = await asOperator('get', `/api/tenants/${team.id}/members`).expect(200);
        expect(listed.body).toMatchObject({ total: 1, page: 1, items: [{ userId: owner.id, roles: ['owner'] }] });
      });

      it('invites (Pending, with the role), Logto sends the message or has no email connector (501 connector.not_found), and acceptance adds the member', async () => {
        const invitee = await userWithEmail('invitee');
        const created = await asOperator('post', `/api/tenants/${team.id}/invitations`).send({ email: invitee.email, role: 'member' }).expect(201);
        const id = (created.body as { invitation: InvitationBody }).invitation.id;
        expect(created.body.invitation).toMatchObject({ email: invitee.email, roles: ['member'], status: 'Pending' });
        expect(await invitationOf(id)).toMatchObject({ status: 'Pending', roles: ['member'] });

        // The product's assumption: a message Logto cannot send fails on its own, the invitation stays.
        const message = await logto.management<{ code?: string }>('POST', `/organization-invitations/${id}/message`, { link: `https://auth.${BASE_DOMAIN}/api/auth/invitations/${id}` });
        expect([204, 501]).toContain(message.status);
        if (message.status === 501) {
          expect(message.body).toMatchObject({ code: 'connector.not_found' });
        }
        expect(await invitationOf(id)).toMatchObject({ status: 'Pending' });

        // What the accept page asks of Logto: someone else's account is refused, the invitee's accepted.
        const refused = await logto.management('PUT', `/organization-invitations/${id}/status`, { status: 'Accepted', acceptedUserId: owner.id });
        expect(refused.status).toBe(422);
        expect(await invitationOf(id)).toMatchObject({ status: 'Pending' });
        const accepted = await logto.management('PUT', `/organization-invitations/${id}/status`, { status: 'Accepted', acceptedUserId: invitee.id });
        expect(accepted.status).toBe(200);
        expect(await invitationOf(id)).toMatchObject({ status: 'Accepted', acceptedUserId: invitee.id });
        expect(await memberRoles(invitee.id)).toEqual(['member']);
        // Final: it cannot be accepted or revoked again.
        expect((await logto.management('PUT', `/organization-invitations/${id}/status`, { status: 'Revoked' })).status).toBe(422);
        expect((await asOperator('post', `/api/tenants/${team.id}/invitations`).send({ email: invitee.email, role: 'member' }).expect(409)).body.code).toBe('ALREADY_MEMBER');
      });

      it('revokes a pending invitation; Logto keeps it as Revoked', async () => {
        const invitee = await userWithEmail('revoked');
        const id = ((await asOperator('post', `/api/tenants/${team.id}/invitations`).send({ email: invitee.email, role: 'admin' }).expect(201)).body as { invitation: InvitationBody }).invitation.id;
        expect((await asOperator('post', `/api/tenants/${team.id}/invitations`).send({ email: invitee.email, role: 'admin' }).expect(409)).body.code).toBe('INVITATION_PENDING');
        await asOperator('delete', `/api/tenants/${team.id}/invitations/${id}`).expect(200);
        expect(expectStatus(await logto.management<{ status: string }>('GET', `/organization-invitations/${id}`), [200], 'the invitation')).toMatchObject({ status: 'Revoked' });
        expect((await logto.management('PUT', `/organization-invitations/${id}/status`, { status: 'Accepted', acceptedUserId: invitee.id })).status).toBe(422);
        expect(await memberRoles(invitee.id)).toBeUndefined();
      });

      it("replaces a member's roles and removes a member in Logto; the last owner stays", async () => {
        const someone = await userWithEmail('someone');
        await management('POST', `/organizations/${team.logtoOrganizationId}/users`, { userIds: [someone.id] });
        const put = (userId: string, roles: string[]) => call().put(`/api/tenants/${team.id}/members/${userId}/roles`).set('authorization', `Bearer ${operator}`).send({ roles });
        await put(someone.id, ['admin']).expect(200);
        expect((await members(team.logtoOrganizationId!)).find((member) => member.id === someone.id)?.organizationRoles.map((role) => role.name)).toEqual(['admin']);
        await put(someone.id, ['member']).expect(200);
        expect((await members(team.logtoOrganizationId!)).find((member) => member.id === someone.id)?.organizationRoles.map((role) => role.name)).toEqual(['member']);
        expect((await put(owner.id, ['admin']).expect(409)).body.code).toBe('LAST_OWNER');
        expect((await asOperator('delete', `/api/tenants/${team.id}/members/${owner.id}`).expect(409)).body.code).toBe('LAST_OWNER');
        await asOperator('delete', `/api/tenants/${team.id}/members/${someone.id}`).expect(204);
        const remaining = (await members(team.logtoOrganizationId!)).map((member) => member.id);
        expect(remaining).toContain(owner.id);
        expect(remaining).not.toContain(someone.id);
      });
    });

    const claims = (token: string) => ({ header: decodeProtectedHeader(token), payload: decodeJwt(token) });
    const scopesHeader = (response: request.Response): string[] => String(response.headers['x-cameleer-scopes'] ?? '').split(' ').filter(Boolean).sort();

    describe('every token shape, through the guard and forward-auth', () => {

      it('an M2M token with platform scopes: an operator app on the API and at forward-auth', async () => {
        const { header, payload } = claims(operator);
        expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES384' });
        expect(payload).toMatchObject({ iss: `${logto.endpoint}/oidc`, aud: api, sub: operatorApp.clientId, client_id: operatorApp.clientId });
        expect(String(payload.scope).split(' ').sort()).toEqual(PLATFORM_SCOPES);
        expect(payload).not.toHaveProperty('organization_id');
        expect(payload).not.toHaveProperty('nbf');
        expect((await me(operator).expect(200)).body).toMatchObject({ kind: 'app', subject: operatorApp.clientId, scopes: PLATFORM_SCOPES, operator: true });
        await asOperator('get', '/api/tenants').expect(200);
        const allowed = await verify(tenant.slug, operator).expect(200);
        expect(allowed.headers).toMatchObject({ 'x-cameleer-principal': 'app', 'x-cameleer-subject': operatorApp.clientId, 'x-cameleer-tenant-id': tenant.id });
        expect(scopesHeader(allowed)).toEqual(PLATFORM_SCOPES);
      });

      it('an M2M token with no granted scope has no scope claim: authenticated, 403 insufficient_scope where a scope is needed', async () => {
        const roleless = await createMachineApp('conformance roleless');
        const answer = await logto.clientCredentials(roleless, { resource: api, scope: 'platform:read' });
        expect(answer.status).toBe(200);
        expect(answer.body).not.toHaveProperty('scope');
        const token = String(answer.body.access_token);
        expect(claims(token).payload).not.toHaveProperty('scope');
        expect((await me(token).expect(200)).body).toMatchObject({ kind: 'app', subject: roleless.clientId, scopes: [], operator: false });
        const denied = await call().get('/api/tenants').set('authorization', `Bearer ${token}`).expect(403);
        expect(denied.headers['www-authenticate']).toContain('error="insufficient_scope"');
        // Bound to no tenant and no operator: forward-auth tells it what it tells any stranger.
        expect((await verify(tenant.slug, token)).status).toBe(404);
      });

      it('an organization-scoped user token: a member of that tenant only', async () => {
        const signedIn = await logto.signIn(owner, api, TENANT_SCOPES);
        expect(signedIn.userId).toBe(owner.id);
        const token = await signedIn.organizationResourceToken(tenant.logtoOrganizationId!);
        const { payload } = claims(token);
        expect(payload).toMatchObject({ aud: api, sub: owner.id, organization_id: tenant.logtoOrganizationId });
        expect(String(payload.scope).split(' ').sort()).toEqual(TENANT_SCOPES);
        expect(payload).not.toHaveProperty('nbf');
        expect((await me(token).expect(200)).body).toMatchObject({
          kind: 'user',
          subject: owner.id,
          scopes: TENANT_SCOPES,
          organizationId: tenant.logtoOrganizationId,
          tenantId: tenant.id,
          operator: false,
        });
        await call().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${token}`).expect(200);
        expect((await call().get('/api/tenants').set('authorization', `Bearer ${token}`)).status).toBe(403);
        const allowed = await verify(tenant.slug, token).expect(200);
        expect(allowed.headers).toMatchObject({ 'x-cameleer-principal': 'user', 'x-cameleer-subject': owner.id, 'x-cameleer-tenant-id': tenant.id });
        expect(scopesHeader(allowed)).toEqual(TENANT_SCOPES);
      });

      it('a plain user token carries organization-role scopes from every organization, and grants no tenant', async () => {
        const token = await (await logto.signIn(owner, api, TENANT_SCOPES)).resourceToken();
        const { payload } = claims(token);
        expect(payload).toMatchObject({ aud: api, sub: owner.id });
        expect(payload).not.toHaveProperty('organization_id');
        expect(String(payload.scope).split(' ').sort()).toEqual(TENANT_SCOPES);
        expect((await me(token).expect(200)).body).toMatchObject({ kind: 'user', scopes: TENANT_SCOPES, operator: false });
        expect((await me(token)).body.organizationId).toBeUndefined();
        expect((await call().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${token}`)).status).toBe(404);
        expect((await verify(tenant.slug, token)).status).toBe(404);
      });

      it('a plain user token of a platform operator (the bootstrap global role)', async () => {
        const person = await logto.createUser('operator');
        const role = (await list<Role[]>('/roles?type=User&page_size=100')).find((candidate) => candidate.name === 'platform-operator')!;
        await logto.assignUserRoles(person.id, [role.id]);
        const token = await (await logto.signIn(person, api, PLATFORM_SCOPES)).resourceToken();
        expect(String(claims(token).payload.scope).split(' ').sort()).toEqual(PLATFORM_SCOPES);
        expect((await me(token).expect(200)).body).toMatchObject({ kind: 'user', subject: person.id, scopes: PLATFORM_SCOPES, operator: true });
        await call().get('/api/tenants').set('authorization', `Bearer ${token}`).expect(200);
        expect(scopesHeader(await verify(tenant.slug, token).expect(200))).toEqual(PLATFORM_SCOPES);
      });

      it('an organization token (audience urn:logto:organization:<id>) is refused: its audience is not this API', async () => {
        const token = await (await logto.signIn(owner, api, TENANT_SCOPES)).organizationToken(tenant.logtoOrganizationId!);
        // Organization (template) scopes: none here, and unlike a resource token the claim is there, empty.
        expect(claims(token).payload).toMatchObject({ aud: `urn:logto:organization:${tenant.logtoOrganizationId}`, sub: owner.id, scope: '' });
        const refused = await me(token).expect(401);
        expect(refused.headers['www-authenticate']).toContain('error="invalid_token"');
        // Recognised as what it is, and told how to ask for the right token.
        expect(refused.body).toMatchObject({ code: 'ORGANIZATION_TOKEN', detail: expect.stringContaining('organization_id=') });
        const atForwardAuth = await verify(tenant.slug, token);
        expect({ status: atForwardAuth.status, code: atForwardAuth.body.code as unknown }).toEqual({ status: 401, code: 'ORGANIZATION_TOKEN' });
      });

      it('an organization-scoped M2M token: only for an app in the organization, with its organization roles scopes', async () => {
        const role = await management<{ id: string }>('POST', '/organization-roles', {
          name: `conformance tenant app ${runId}`,
          type: 'MachineToMachine',
          resourceScopeIds: await scopeIds(['tenant:read']),
        });
        const bound = await createMachineApp('conformance tenant app');
        const stranger = await logto.clientCredentials(bound, { resource: api, scope: 'tenant:read', organizationId: tenant.logtoOrganizationId! });
        expect({ status: stranger.status, error: stranger.body.error }).toEqual({ status: 403, error: 'access_denied' });

        await management('POST', `/organizations/${tenant.logtoOrganizationId}/applications`, { applicationIds: [bound.clientId] });
        await management('POST', `/organizations/${tenant.logtoOrganizationId}/applications/${bound.clientId}/roles`, { organizationRoleIds: [role.id] });
        const token = await m2mToken(bound, 'tenant:read tenant:admin', tenant.logtoOrganizationId!);
        expect(claims(token).payload).toMatchObject({
          aud: api,
          sub: bound.clientId,
          client_id: bound.clientId,
          organization_id: tenant.logtoOrganizationId,
          scope: 'tenant:read',
        });
        expect((await me(token).expect(200)).body).toMatchObject({ kind: 'app', scopes: ['tenant:read'], tenantId: tenant.id, operator: false });
        await call().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${token}`).expect(200);
        const allowed = await verify(tenant.slug, token).expect(200);
        expect(allowed.headers).toMatchObject({ 'x-cameleer-principal': 'app', 'x-cameleer-subject': bound.clientId, 'x-cameleer-scopes': 'tenant:read' });
      });
    });

    describe('the edge sign-in flow: a Traditional app, authorization code with PKCE, organization refresh, end session', () => {
      const edgeRedirect = `https://auth.conformance-${runId}.test/api/auth/callback`;
      const edgeSignedOut = `https://auth.conformance-${runId}.test/api/auth/signed-out`;
      const edgeScopes = ['openid', 'offline_access', 'profile', 'urn:logto:scope:organizations', 'urn:logto:scope:organization_roles', ...TENANT_SCOPES];
      let edge: AppCredential;
      let endpoints: Record<string, string>;

      beforeAll(async () => {
        const created = await management<{ id: string }>('POST', '/applications', {
          name: `conformance edge ${runId}`,
          type: 'Traditional',
          oidcClientMetadata: { redirectUris: [edgeRedirect], postLogoutRedirectUris: [edgeSignedOut] },
        });
        const secrets = await list<{ value: string }[]>(`/applications/${created.id}/secrets`);
        edge = { clientId: created.id, clientSecret: secrets[0]!.value };
        endpoints = (await (await fetch(`${logto.endpoint}/oidc/.well-known/openid-configuration`)).json()) as Record<string, string>;
      });

      /** The edge's sign-in as the edge-sessions lib does it: PKCE S256, state, nonce, resource, prompt=consent (offline_access needs it). */
      const signInAtEdge = async (user: ConformanceUser) => {
        const verifier = randomBytes(32).toString('base64url');
        const state = randomBytes(8).toString('base64url');
        const nonce = randomBytes(8).toString('base64url');
        const authorize = new URL(endpoints.authorization_endpoint!);
        Object.entries({
          client_id: edge.clientId,
          redirect_uri: edgeRedirect,
          response_type: 'code',
          scope: edgeScopes.join(' '),
          resource: api,
          prompt: 'consent',
          state,
          nonce,
          code_challenge: createHash('sha256').update(verifier).digest('base64url'),
          code_challenge_method: 'S256',
        }).forEach(([name, value]) => authorize.searchParams.set(name, value));
        const callback = new URL(await logto.authorize(user, authorize.toString()));
        expect(callback.searchParams.get('state')).toBe(state);
        const answer = await edgeToken({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: edgeRedirect, code_verifier: verifier });
        expect(answer.status).toBe(200);
        return { ...(answer.body as { id_token: string; refresh_token: string }), nonce };
      };
      /** A token request as a confidential client (HTTP Basic, the way the edge authenticates). */
      const edgeToken = async (form: Record<string, string>) => {
        const response = await fetch(endpoints.token_endpoint!, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`${encodeURIComponent(edge.clientId)}:${encodeURIComponent(edge.clientSecret)}`).toString('base64')}`,
          },
          body: new URLSearchParams(form),
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };

      it('discovery names the endpoints the edge uses', () => {
        expect(endpoints).toMatchObject({
          issuer: `${logto.endpoint}/oidc`,
          authorization_endpoint: expect.stringMatching(/^http/),
          token_endpoint: expect.stringMatching(/^http/),
          end_session_endpoint: expect.stringMatching(/^http/),
          jwks_uri: expect.stringMatching(/^http/),
        });
      });

      it('a member signs in: the ID token carries the nonce and the organizations; the organization refresh gives a token the API accepts', async () => {
        const { id_token: idToken, refresh_token: refreshToken, nonce } = await signInAtEdge(owner);
        expect(decodeJwt(idToken)).toMatchObject({
          iss: `${logto.endpoint}/oidc`,
          aud: edge.clientId,
          sub: owner.id,
          nonce,
          organizations: expect.arrayContaining([tenant.logtoOrganizationId]),
          organization_roles: expect.arrayContaining([`${tenant.logtoOrganizationId}:owner`]),
        });
        const answer = await edgeToken({ grant_type: 'refresh_token', refresh_token: refreshToken, organization_id: tenant.logtoOrganizationId!, resource: api });
        expect(answer.status).toBe(200);
        const token = String(answer.body.access_token);
        const { header, payload } = claims(token);
        expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES384' });
        expect(payload).toMatchObject({ aud: api, sub: owner.id, client_id: edge.clientId, organization_id: tenant.logtoOrganizationId });
        expect(String(payload.scope).split(' ').sort()).toEqual(TENANT_SCOPES);
        const allowed = await verify(tenant.slug, token).expect(200);
        expect(allowed.headers).toMatchObject({ 'x-cameleer-principal': 'user', 'x-cameleer-subject': owner.id, 'x-cameleer-tenant-id': tenant.id });
        expect(scopesHeader(allowed)).toEqual(TENANT_SCOPES);
      });

      it("a confidential client's refresh token is not rotated at each use (rotateRefreshToken: only past 70 % of its lifetime)", async () => {
        const { refresh_token: refreshToken } = await signInAtEdge(owner);
        const first = await edgeToken({ grant_type: 'refresh_token', refresh_token: refreshToken, organization_id: tenant.logtoOrganizationId!, resource: api });
        expect(first.body.refresh_token).toBe(refreshToken);
        expect((await edgeToken({ grant_type: 'refresh_token', refresh_token: refreshToken, organization_id: tenant.logtoOrganizationId!, resource: api })).status).toBe(200);
      });

      it('the organization token carries only the resource scopes asked for at sign-in: none when only the base scopes were', async () => {
        const verifier = randomBytes(32).toString('base64url');
        const authorize = new URL(endpoints.authorization_endpoint!);
        Object.entries({
          client_id: edge.clientId,
          redirect_uri: edgeRedirect,
          response_type: 'code',
          scope: edgeScopes.filter((name) => !TENANT_SCOPES.includes(name)).join(' '),
          resource: api,
          prompt: 'consent',
          state: 's',
          code_challenge: createHash('sha256').update(verifier).digest('base64url'),
          code_challenge_method: 'S256',
        }).forEach(([name, value]) => authorize.searchParams.set(name, value));
        const code = new URL(await logto.authorize(owner, authorize.toString())).searchParams.get('code')!;
        const exchanged = await edgeToken({ grant_type: 'authorization_code', code, redirect_uri: edgeRedirect, code_verifier: verifier });
        const answer = await edgeToken({ grant_type: 'refresh_token', refresh_token: String(exchanged.body.refresh_token), organization_id: tenant.logtoOrganizationId!, resource: api });
        expect(answer.status).toBe(200);
        expect(claims(String(answer.body.access_token)).payload).toMatchObject({ organization_id: tenant.logtoOrganizationId, scope: '' });
      });

      it('a user who is not a member of the organization is refused: 403 access_denied', async () => {
        const stranger = await logto.createUser('edge_stranger');
        const { refresh_token: refreshToken } = await signInAtEdge(stranger);
        const refused = await edgeToken({ grant_type: 'refresh_token', refresh_token: refreshToken, organization_id: tenant.logtoOrganizationId!, resource: api });
        expect({ status: refused.status, error: refused.body.error }).toEqual({ status: 403, error: 'access_denied' });
      });

      it('a code is single use, and a wrong PKCE verifier is refused (invalid_grant)', async () => {
        const verifier = randomBytes(32).toString('base64url');
        const authorize = new URL(endpoints.authorization_endpoint!);
        Object.entries({
          client_id: edge.clientId,
          redirect_uri: edgeRedirect,
          response_type: 'code',
          scope: 'openid offline_access',
          prompt: 'consent',
          state: 's',
          code_challenge: createHash('sha256').update(verifier).digest('base64url'),
          code_challenge_method: 'S256',
        }).forEach(([name, value]) => authorize.searchParams.set(name, value));
        const code = new URL(await logto.authorize(owner, authorize.toString())).searchParams.get('code')!;
        const wrong = await edgeToken({ grant_type: 'authorization_code', code, redirect_uri: edgeRedirect, code_verifier: randomBytes(32).toString('base64url') });
        expect({ status: wrong.status, error: wrong.body.error }).toEqual({ status: 400, error: 'invalid_grant' });
        // oidc-provider checks the verifier before it consumes the code: the refused attempt did not spend it.
        const first = await edgeToken({ grant_type: 'authorization_code', code, redirect_uri: edgeRedirect, code_verifier: verifier });
        const second = await edgeToken({ grant_type: 'authorization_code', code, redirect_uri: edgeRedirect, code_verifier: verifier });
        expect([first.status, second.status, second.body.error]).toEqual([200, 400, 'invalid_grant']);
      });

      /** A new user who is a `member` of the tenant, signed in at the edge. */
      const signedInMember = async (prefix: string) => {
        const user = await logto.createUser(prefix);
        await joinInLogto(tenant.logtoOrganizationId!, user.id, 'member');
        const { refresh_token: refreshToken } = await signInAtEdge(user);
        const organizationRefresh = () => edgeToken({ grant_type: 'refresh_token', refresh_token: refreshToken, organization_id: tenant.logtoOrganizationId!, resource: api });
        const plainRefresh = () => edgeToken({ grant_type: 'refresh_token', refresh_token: refreshToken, resource: api });
        const issued = await organizationRefresh();
        expect(issued.status).toBe(200);
        const token = String(issued.body.access_token);
        expect(claims(token).payload).toMatchObject({ sub: user.id, organization_id: tenant.logtoOrganizationId, scope: 'tenant:read' });
        await call().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${token}`).expect(200);
        await verify(tenant.slug, token).expect(200);
        return { user, token, organizationRefresh, plainRefresh };
      };
      /** Status and problem code at the guard (a tenant route) and at forward-auth. */
      const refusals = async (token: string) =>
        Promise.all([call().get(`/api/tenants/${tenant.id}`).set('authorization', `Bearer ${token}`), verify(tenant.slug, token)]).then((answers) =>
          answers.map((answer) => `${answer.status} ${String(answer.body.code)}`),
        );

      it("a member removed in Logto: Logto's organization refresh answers 403 access_denied at once; the still-valid token is refused once the API records the removal", async () => {
        const { user, token, organizationRefresh, plainRefresh } = await signedInMember('removed');
        await management('DELETE', `/organizations/${tenant.logtoOrganizationId}/users/${user.id}`);
        // Logto checks the membership at every organization refresh (core oidc/grants/utils.ts checkOrganizationAccess).
        // The body in both shapes, Logto's (code, message) and OAuth's (core middleware/koa-oidc-error-handler.ts).
        expect(await organizationRefresh()).toEqual({
          status: 403,
          body: { code: 'oidc.access_denied', message: 'Access denied.', error: 'access_denied', error_description: 'user is not a member of the organization' },
        });
        // The access token Logto issued before is a JWT it cannot take back. The removal, as the webhook receiver or the
        // members API records it, makes the API refuse it on this replica before removed() returns (the webhook test
        // above proves the delivery; recorded here directly so this proof does not wait on it, a repeat is harmless).
        await testApp.app.get(MemberRemovals).removed({ organizationId: tenant.logtoOrganizationId!, userId: user.id, actor: 'logto', source: 'logto-webhook' });
        expect(await refusals(token)).toEqual(['401 INVALID_TOKEN', '401 INVALID_TOKEN']);
        // Only that organization: the user is not signed out, and a token without it is still issued and accepted.
        const plain = await plainRefresh();
        expect(plain.status).toBe(200);
        await me(String(plain.body.access_token)).expect(200);
      });

      it("a suspended user: Logto deletes the user's refresh tokens (invalid_grant, also after un-suspending) and refuses the sign-in; the still-valid token is refused once the API records the suspension", async () => {
        const { user, token, organizationRefresh, plainRefresh } = await signedInMember('suspended');
        const suspended = await logto.management<{ id: string; isSuspended: boolean }>('PATCH', `/users/${user.id}/is-suspended`, { isSuspended: true });
        expect(suspended).toMatchObject({ status: 200, body: { id: user.id, isSuspended: true } });
        // core routes/admin-user/basics.ts: suspending calls signOutUser (access tokens, refresh tokens, sessions deleted).
        for (const refresh of [organizationRefresh, plainRefresh]) {
          expect(await refresh()).toEqual({
            status: 400,
            body: {
              code: 'oidc.invalid_grant',
              message: 'Grant request is invalid.',
              error_uri: 'https://openid.sh/debug/invalid_grant',
              error: 'invalid_grant',
              error_description: 'grant request is invalid',
            },
          });
        }
        // Recorded as the webhook receiver records User.SuspensionStatus.Updated (a repeat of it is harmless).
        await testApp.app.get(PrincipalRevocations).revokeUser({ userId: user.id, reason: 'user_suspended' });
        expect(await refusals(token)).toEqual(['401 INVALID_TOKEN', '401 INVALID_TOKEN']);
        expect((await me(token)).status).toBe(401);

        // Signing in again is refused after the password was checked (Logto's 401 user.suspended "This account is suspended.").
        await expect(signInAtEdge(user)).rejects.toThrow(/suspended/);

        const reinstated = await logto.management<{ isSuspended: boolean }>('PATCH', `/users/${user.id}/is-suspended`, { isSuspended: false });
        expect(reinstated).toMatchObject({ status: 200, body: { isSuspended: false } });
        expect((await organizationRefresh()).body.error).toBe('invalid_grant');
        // The user signs in again and Logto issues tokens for the organization at once.
        const { refresh_token: fresh } = await signInAtEdge(user);
        expect((await edgeToken({ grant_type: 'refresh_token', refresh_token: fresh, organization_id: tenant.logtoOrganizationId!, resource: api })).status).toBe(200);
        // An unknown user and a body without the boolean, as Logto's koaGuard answers them.
        expect(await logto.management('PATCH', '/users/nosuchuser01/is-suspended', { isSuspended: true })).toMatchObject({ status: 404, body: { code: 'entity.not_found' } });
        expect(await logto.management('PATCH', `/users/${user.id}/is-suspended`, { isSuspended: 'yes' })).toMatchObject({ status: 400, body: { code: 'guard.invalid_input' } });
      });

      it("a deleted user: Logto signs the user out first (invalid_grant on every refresh); the still-valid token is refused once the API records the deletion", async () => {
        const { user, token, organizationRefresh, plainRefresh } = await signedInMember('deleted');
        await management('DELETE', `/users/${user.id}`);
        for (const refresh of [organizationRefresh, plainRefresh]) {
          expect(await refresh()).toMatchObject({ status: 400, body: { code: 'oidc.invalid_grant', error: 'invalid_grant' } });
        }
        // Its memberships went with it (foreign keys on delete cascade).
        expect((await members(tenant.logtoOrganizationId!)).map((member) => member.id)).not.toContain(user.id);
        await testApp.app.get(PrincipalRevocations).revokeUser({ userId: user.id, reason: 'user_deleted' });
        expect(await refusals(token)).toEqual(['401 INVALID_TOKEN', '401 INVALID_TOKEN']);
      });

      it('RP-initiated logout with id_token_hint lands on the registered post-logout URI without a confirmation step', async () => {
        const { id_token: idToken } = await signInAtEdge(owner);
        const url = new URL(endpoints.end_session_endpoint!);
        url.searchParams.set('id_token_hint', idToken);
        url.searchParams.set('post_logout_redirect_uri', edgeSignedOut);
        expect(await endSession(url.toString())).toBe(edgeSignedOut);
      });
    });

    describe('a signing-key rotation', () => {
      it('POST /api/configs/oidc/private-keys/rotate: tokens signed before and after it verify', async () => {
        const before = await m2mToken(operatorApp, PLATFORM_SCOPES.join(' '));
        const rotated = await management<{ id: string; signingKeyAlgorithm: string }[]>('POST', '/configs/oidc/private-keys/rotate', { signingKeyAlgorithm: 'EC' });
        expect(rotated.length).toBeGreaterThanOrEqual(2);
        expect(rotated.map((key) => key.signingKeyAlgorithm)).toContain('EC');

        const after = await m2mToken(operatorApp, PLATFORM_SCOPES.join(' '));
        const jwks = (await (await fetch(`${logto.endpoint}/oidc/jwks`)).json()) as { keys: { kid: string }[] };
        expect(jwks.keys.map((key) => key.kid)).toContain(decodeProtectedHeader(after).kid);
        // A kid the API has not seen yet makes it refetch the key set at once (one refetch per cooldown of 2 s).
        await eventually(async () => {
          await me(after).expect(200);
        }, { within: 5_000 });
        await me(before).expect(200);
      });
    });
  });
}
