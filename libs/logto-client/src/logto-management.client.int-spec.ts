import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { type DevIdp, MANAGEMENT_API_RESOURCE, startDevIdp } from '../../../test/support/dev-idp';
import {
  type LogtoClientConfig,
  type LogtoClientOptions,
  LogtoConflictError,
  LogtoError,
  isMissingEmailConnector,
  isPermanentLogtoFailure,
  LogtoManagementClient,
  LogtoNotConfiguredError,
  LogtoNotFoundError,
  LogtoReadinessCheck,
  LogtoReadinessError,
  LogtoRequestError,
  LogtoUnavailableError,
  type Organization,
} from './index';

/** Runs against a real dev IdP over HTTP; fetch is wrapped only to record which paths were requested. */
describe('LogtoManagementClient (dev IdP)', () => {
  let idp: DevIdp;
  let app: { clientId: string; clientSecret: string };
  let requests: { method: string; path: string }[];
  let logLines: string[];

  const observingFetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    requests.push({ method: init?.method ?? 'GET', path: url.pathname });
    return fetch(input, init);
  };
  const logger = { debug: (line: string) => logLines.push(line), warn: (line: string) => logLines.push(line) };
  const count = (method: string, path: string): number => requests.filter((r) => r.method === method && r.path === path).length;
  const tokenRequests = (): number => count('POST', '/oidc/token');

  const newClient = (config: Partial<LogtoClientConfig> = {}, options: LogtoClientOptions = {}): LogtoManagementClient =>
    new LogtoManagementClient(
      { endpoint: idp.endpoint, m2mAppId: app.clientId, m2mAppSecret: app.clientSecret, timeoutMs: 2000, retries: 2, ...config },
      { fetch: observingFetch, logger, retryBaseDelayMs: 5, retryMaxDelayMs: 20, ...options },
    );

  /** Management API calls the client has no method for (test setup only). */
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const token = await idp.clientCredentialsToken({ ...app, resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
    const response = await fetch(`${idp.endpoint}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    }
    return (response.status === 204 ? undefined : await response.json()) as T;
  };

  /** A loopback port nothing listens on (connection refused). */
  const closedPort = async (): Promise<number> => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  };

  const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;
  /** A user created in the IdP (Logto has users only once created); returns its id. */
  const createUser = async (name: string): Promise<string> =>
    (await admin<{ id: string }>('POST', '/users', { username: `${name}_${randomUUID().slice(0, 8)}` })).id;

  beforeAll(async () => {
    idp = await startDevIdp();
    app = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'], [idp.apiResource]: ['tenant:read'] } });
  });

  afterAll(async () => {
    await idp?.stop();
  });

  beforeEach(() => {
    requests = [];
    logLines = [];
  });

  afterEach(async () => {
    await idp.setFault('none');
    // Nothing the client logs may carry the secret or a token.
    for (const line of logLines) {
      expect(line).not.toContain(app.clientSecret);
      expect(line).not.toMatch(/eyJ[\w-]+\./);
    }
  });

  describe('organizations', () => {
    it('creates, reads, updates (customData replaced wholesale), lists and deletes an organization', async () => {
      const client = newClient();
      expect(client.configured).toBe(true);
      const name = unique('acme');

      const created = await client.createOrganization({ name, description: 'first', customData: { tenantId: 't-1', plan: 'free' } });
      expect(created).toMatchObject({ name, description: 'first', customData: { tenantId: 't-1', plan: 'free' }, isMfaRequired: false });
      expect(typeof created.id).toBe('string');
      expect(typeof created.createdAt).toBe('number');

      await expect(client.getOrganization(created.id)).resolves.toEqual(created);

      const updated = await client.updateOrganization(created.id, { name: `${name}-renamed`, customData: { tenantId: 't-1' } });
      expect(updated).toMatchObject({ id: created.id, name: `${name}-renamed`, description: 'first', customData: { tenantId: 't-1' } });
      expect(updated.customData).not.toHaveProperty('plan');

      const listed = await client.listOrganizations({ q: name });
      expect(listed).toEqual({ items: [updated], total: 1 });

      await client.deleteOrganization(created.id);
      await expect(client.getOrganization(created.id)).rejects.toBeInstanceOf(LogtoNotFoundError);
    });

    it('maps every 404 to LogtoNotFoundError whatever its code', async () => {
      const client = newClient();
      const missing = 'doesnotexist';
      const failures = await Promise.all([
        client.getOrganization(missing).catch((e: unknown) => e),
        client.updateOrganization(missing, { name: 'x' }).catch((e: unknown) => e),
        client.deleteOrganization(missing).catch((e: unknown) => e),
        client.getOrganizationRoleResourceScopes(missing).catch((e: unknown) => e),
      ]);
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(LogtoNotFoundError);
        expect(failure).toBeInstanceOf(LogtoError);
        expect(failure).toMatchObject({ status: 404 });
      }
      expect(failures.map((f) => (f as LogtoNotFoundError).code)).toEqual([
        'entity.not_exists_with_id',
        'entity.not_exists',
        'entity.not_found',
        'entity.not_exists_with_id',
      ]);
      expect((failures[0] as Error).message).toContain('GET /api/organizations/doesnotexist answered 404 entity.not_exists_with_id');
    });

    it('lists one page with the Total-Number total, and findOrganizations pages through all of them', async () => {
      const client = newClient();
      const batch = unique('batch');
      const created: Organization[] = [];
      for (let i = 0; i < 5; i++) {
        created.push(await client.createOrganization({ name: `${batch}-${i}`, customData: { tenantId: `${batch}-t${i}` } }));
      }

      const page2 = await client.listOrganizations({ q: batch, page: 2, pageSize: 2 });
      expect(page2.total).toBe(5);
      expect(page2.items.map((o) => o.name)).toEqual([`${batch}-2`, `${batch}-3`]);

      requests = [];
      // `q` cannot see customData: find by predicate over every organization, in pages of 2.
      const found = await client.findOrganizations((o) => o.customData.tenantId === `${batch}-t3`, { pageSize: 2 });
      expect(found.map((o) => o.id)).toEqual([created[3]?.id]);
      const all = await client.listOrganizations({ pageSize: 1 });
      expect(count('GET', '/api/organizations')).toBe(Math.ceil(all.total / 2) + 1);

      const none = await client.findOrganizations(() => false);
      expect(none).toEqual([]);
    });

    it('rejects invalid input as LogtoRequestError with status and Logto code', async () => {
      const client = newClient();
      const error = await client.listOrganizations({ pageSize: 1000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LogtoRequestError);
      expect(error).toMatchObject({ status: 400, code: 'guard.invalid_pagination' });
      expect(count('GET', '/api/organizations')).toBe(1); // 4xx is never retried
    });
  });

  describe('members and organization roles', () => {
    it('adds users, assigns roles, lists roles and their resource scopes', async () => {
      const client = newClient();
      const resources = await admin<{ id: string; indicator: string }[]>('GET', '/resources');
      const resource = resources.find((r) => r.indicator === idp.apiResource);
      expect(resource).toBeDefined();
      const scope = await admin<{ id: string; name: string }>('POST', `/resources/${resource?.id}/scopes`, { name: unique('tenant:write') });
      const role = await admin<{ id: string; name: string }>('POST', '/organization-roles', {
        name: unique('admin'),
        organizationScopeIds: [],
        resourceScopeIds: [scope.id],
      });

      const roles = await client.listOrganizationRoles();
      const listedRole = roles.find((r) => r.id === role.id);
      expect(listedRole).toMatchObject({ name: role.name, type: 'User', scopes: [] });
      expect(listedRole?.resourceScopes).toEqual([{ id: scope.id, name: scope.name, resource: { id: resource?.id, name: expect.any(String) } }]);

      const scopes = await client.getOrganizationRoleResourceScopes(role.id);
      expect(scopes).toEqual([expect.objectContaining({ id: scope.id, name: scope.name, resourceId: resource?.id })]);

      const org = await client.createOrganization({ name: unique('members') });
      const alice = await createUser('alice');
      const bob = await createUser('bob');
      await client.addOrganizationUsers(org.id, [alice, bob]);
      await client.addOrganizationUsers(org.id, [alice]); // existing members are ignored
      await client.assignOrganizationRoles(org.id, [alice, bob], [role.id]);

      const members = await admin<{ id: string; organizationRoles: { id: string }[] }[]>('GET', `/organizations/${org.id}/users`);
      expect(members.map((m) => [m.id, m.organizationRoles.map((r) => r.id)])).toEqual([
        [alice, [role.id]],
        [bob, [role.id]],
      ]);

      requests = [];
      await client.addOrganizationUsers(org.id, []);
      await client.assignOrganizationRoles(org.id, [alice], []);
      expect(requests).toEqual([]); // empty lists are no-ops, not 400s
    });

    it('lists members with their roles page by page, replaces a member\'s roles, removes a member', async () => {
      const client = newClient();
      const roleA = await admin<{ id: string; name: string }>('POST', '/organization-roles', { name: unique('viewer') });
      const roleB = await admin<{ id: string; name: string }>('POST', '/organization-roles', { name: unique('editor') });
      const org = await client.createOrganization({ name: unique('listing') });
      const [ann, ben, cid] = [await createUser('ann'), await createUser('ben'), await createUser('cid')];
      const users = [ann, ben, cid];
      await client.addOrganizationUsers(org.id, users);
      await client.assignOrganizationRoles(org.id, [ann], [roleA.id]);

      const first = await client.listOrganizationUsers(org.id, { page: 1, pageSize: 2 });
      const second = await client.listOrganizationUsers(org.id, { page: 2, pageSize: 2 });
      expect(first.total).toBe(3);
      expect(first.items).toHaveLength(2);
      expect(second.items).toHaveLength(1);
      const all = await client.listAllOrganizationUsers(org.id);
      expect(all.map((m) => m.id).sort()).toEqual([...users].sort());
      expect(all.find((m) => m.id === ann)?.organizationRoles).toEqual([{ id: roleA.id, name: roleA.name }]);

      await client.replaceOrganizationUserRoles(org.id, ann, [roleB.id]);
      const replaced = await client.listAllOrganizationUsers(org.id);
      expect(replaced.find((m) => m.id === ann)?.organizationRoles.map((r) => r.id)).toEqual([roleB.id]);
      await expect(client.replaceOrganizationUserRoles(org.id, await createUser('out'), [roleB.id])).rejects.toMatchObject({
        constructor: LogtoConflictError,
        code: 'organization.require_membership',
      });

      await client.removeOrganizationUser(org.id, ben);
      expect((await client.listAllOrganizationUsers(org.id)).map((m) => m.id)).not.toContain(ben);
      await expect(client.removeOrganizationUser(org.id, ben)).rejects.toBeInstanceOf(LogtoNotFoundError);
    });

    it('invitations: created without a message, listed, messaged, accepted into a membership with the roles, final afterwards', async () => {
      const client = newClient();
      const role = await admin<{ id: string; name: string }>('POST', '/organization-roles', { name: unique('invitee-role') });
      const org = await client.createOrganization({ name: unique('inviting') });
      const inviter = await createUser('host');
      const email = `${unique('guest')}@example.com`;
      const guest = (await admin<{ id: string }>('POST', '/users', { username: unique('guest').replace('-', '_'), primaryEmail: email })).id;
      const expiresAt = Date.now() + 60_000;

      const invitation = await client.createOrganizationInvitation({ organizationId: org.id, invitee: email, inviterId: inviter, expiresAt, organizationRoleIds: [role.id] });
      expect(invitation).toMatchObject({ invitee: email, inviterId: inviter, organizationId: org.id, status: 'Pending', expiresAt, acceptedUserId: null });
      expect(invitation.organizationRoles).toEqual([{ id: role.id, name: role.name }]);
      expect(await idp.sentEmails(email)).toEqual([]); // created without a message
      await expect(client.listOrganizationInvitations({ organizationId: org.id })).resolves.toEqual([invitation]);
      // One Pending invitation per invitee and organization (Logto's partial unique index).
      await expect(client.createOrganizationInvitation({ organizationId: org.id, invitee: email, expiresAt })).rejects.toMatchObject({
        constructor: LogtoConflictError,
        code: 'entity.unique_integrity_violation',
      });

      await client.sendOrganizationInvitationMessage(invitation.id, { link: 'https://example.test/accept' });
      expect(await idp.sentEmails(email)).toEqual([
        expect.objectContaining({ to: email, type: 'OrganizationInvitation', payload: expect.objectContaining({ link: 'https://example.test/accept' }) }),
      ]);

      await expect(client.setOrganizationInvitationStatus(invitation.id, { status: 'Accepted', acceptedUserId: inviter })).rejects.toMatchObject({
        constructor: LogtoConflictError,
        code: 'request.invalid_input',
      }); // someone else's email
      const accepted = await client.setOrganizationInvitationStatus(invitation.id, { status: 'Accepted', acceptedUserId: guest });
      expect(accepted).toMatchObject({ status: 'Accepted', acceptedUserId: guest });
      const members = await client.listAllOrganizationUsers(org.id);
      expect(members.find((m) => m.id === guest)?.organizationRoles).toEqual([{ id: role.id, name: role.name }]);
      await expect(client.setOrganizationInvitationStatus(invitation.id, { status: 'Revoked' })).rejects.toMatchObject({ status: 422 });
      // The invitee is a member now: a new invitation for that primary email (compared exactly, as Logto does) is refused.
      await expect(client.createOrganizationInvitation({ organizationId: org.id, invitee: email, expiresAt })).rejects.toMatchObject({ status: 422, code: 'request.invalid_input' });

      await client.deleteOrganizationInvitation(invitation.id);
      await expect(client.getOrganizationInvitation(invitation.id)).rejects.toBeInstanceOf(LogtoNotFoundError);
    });

    it('invitations: revoked is final; no email connector is 501 connector.not_found and keeps the invitation', async () => {
      const client = newClient();
      const org = await client.createOrganization({ name: unique('revoking') });
      const email = `${unique('nobody')}@example.com`;
      const invitation = await client.createOrganizationInvitation({ organizationId: org.id, invitee: email, expiresAt: Date.now() + 60_000 });
      await expect(client.createOrganizationInvitation({ organizationId: org.id, invitee: email, expiresAt: Date.now() - 1 })).rejects.toMatchObject({
        status: 400,
        code: 'request.invalid_input',
      });

      await idp.setEmailConnector(false);
      try {
        const failure = await client.sendOrganizationInvitationMessage(invitation.id, { link: 'https://example.test/x' }).catch((error: unknown) => error);
        expect(failure).toMatchObject({ status: 501, code: 'connector.not_found' });
        expect(isMissingEmailConnector(failure)).toBe(true);
      } finally {
        await idp.setEmailConnector(true);
      }
      await expect(client.getOrganizationInvitation(invitation.id)).resolves.toMatchObject({ status: 'Pending' });

      await expect(client.setOrganizationInvitationStatus(invitation.id, { status: 'Revoked' })).resolves.toMatchObject({ status: 'Revoked' });
      await expect(client.getOrganizationInvitation(invitation.id)).resolves.toMatchObject({ status: 'Revoked' });
      await expect(client.setOrganizationInvitationStatus(invitation.id, { status: 'Revoked' })).rejects.toMatchObject({ status: 422, code: 'request.invalid_input' });
      await expect(client.getOrganizationInvitation('nosuchinvitation')).rejects.toBeInstanceOf(LogtoNotFoundError);
    });

    it('maps 422 to LogtoConflictError (non-member, unknown organization, unknown role)', async () => {
      const client = newClient();
      const org = await client.createOrganization({ name: unique('conflicts') });

      await expect(client.assignOrganizationRoles(org.id, ['stranger'], ['no-such-role'])).rejects.toMatchObject({
        constructor: LogtoConflictError,
        status: 422,
        code: 'entity.relation_foreign_key_not_found',
      });
      await expect(client.addOrganizationUsers('no-such-org', [await createUser('alice')])).rejects.toBeInstanceOf(LogtoConflictError);
      // Real Logto answers an unknown user exactly so; retrying it cannot help.
      const unknownUser = await client.addOrganizationUsers(org.id, ['nosuchuser01']).catch((error: unknown) => error);
      expect(unknownUser).toMatchObject({ constructor: LogtoConflictError, status: 422, code: 'entity.relation_foreign_key_not_found' });
      expect(isPermanentLogtoFailure(unknownUser)).toBe(true);
    });

    it('getUser: the user, or LogtoNotFoundError (404 entity.not_found) for an unknown one', async () => {
      const client = newClient();
      const id = await createUser('gina');
      await expect(client.getUser(id)).resolves.toMatchObject({ id, username: expect.stringMatching(/^gina_/) });
      const missing = await client.getUser('nosuchuser01').catch((error: unknown) => error);
      expect(missing).toMatchObject({ constructor: LogtoNotFoundError, status: 404, code: 'entity.not_found' });
      expect(isPermanentLogtoFailure(missing)).toBe(true);
    });

    it.each([
      ['429 (rate limited)', 'error4xx', 429],
      ['503', 'error5xx', undefined],
    ] as const)('a %s answer is not a permanent failure', async (_label, fault, status) => {
      await idp.setFault(fault, { target: 'management', ...(status === undefined ? {} : { status }) });
      const error = await newClient({ retries: 0 }).listOrganizations().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LogtoError);
      expect(isPermanentLogtoFailure(error)).toBe(false);
    });
  });

  describe('tokens', () => {
    it('caches the token across calls', async () => {
      const client = newClient();
      await client.listOrganizations();
      await client.listOrganizations();
      await client.listOrganizationRoles();
      expect(tokenRequests()).toBe(1);
    });

    it('shares one token refresh among concurrent callers', async () => {
      const client = newClient();
      await Promise.all(Array.from({ length: 8 }, () => client.listOrganizations()));
      expect(tokenRequests()).toBe(1);
      expect(count('GET', '/api/organizations')).toBe(8);
    });

    it('refreshes the token before it expires (margin)', async () => {
      let now = Date.now();
      const client = newClient({}, { now: () => now, tokenExpiryMarginMs: 60_000 });
      await client.listOrganizations();
      now += 3600_000 - 59_000; // inside the margin of the dev IdP's 3600 s token
      await client.listOrganizations();
      expect(tokenRequests()).toBe(2);
    });

    it('drops the cached token on a 401 and retries once with a fresh one', async () => {
      let spoil = true;
      const spoilingFetch: typeof fetch = (input, init) => {
        const headers = new Headers(init?.headers);
        if (spoil && headers.get('authorization')?.startsWith('Bearer ')) {
          // The token Logto would no longer accept (e.g. after a key rotation).
          spoil = false;
          headers.set('authorization', 'Bearer not-a-valid-token');
        }
        return observingFetch(input, { ...init, headers });
      };
      const client = newClient({}, { fetch: spoilingFetch });
      await expect(client.listOrganizations()).resolves.toMatchObject({ total: expect.any(Number) });
      expect(tokenRequests()).toBe(2);
      expect(count('GET', '/api/organizations')).toBe(2);
    });

    it('wrong credentials are a LogtoRequestError (not retried)', async () => {
      const client = newClient({ m2mAppSecret: 'wrong-secret' });
      const error = await client.listOrganizations().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LogtoRequestError);
      expect(error).toMatchObject({ status: 401, code: 'oidc.invalid_client' });
      expect(String((error as Error).message)).not.toContain('wrong-secret');
      expect(tokenRequests()).toBe(1);
    });

    it('requests the token from LOGTO_INTERNAL_URL when set', async () => {
      const client = newClient({ endpoint: 'https://logto.example.invalid', internalUrl: idp.endpoint });
      await client.listOrganizations();
      expect(tokenRequests()).toBe(1);
    });
  });

  describe('faults', () => {
    it('retries a 5xx and succeeds', async () => {
      const client = newClient();
      const org = await client.createOrganization({ name: unique('retry') });
      requests = [];
      await idp.setFault('error5xx', { target: 'management', times: 1 });
      await expect(client.getOrganization(org.id)).resolves.toMatchObject({ id: org.id });
      expect(count('GET', `/api/organizations/${org.id}`)).toBe(2);
    });

    it('retries a POST after a 503 (nothing was written) and creates exactly one organization', async () => {
      const client = newClient();
      await client.listOrganizations(); // token first
      await idp.setFault('error5xx', { target: 'management', times: 1 });
      const name = unique('post-503');
      await client.createOrganization({ name });
      expect(count('POST', '/api/organizations')).toBe(2);
      expect((await client.listOrganizations({ q: name })).total).toBe(1);
    });

    it('gives up after the retries with reason server_error', async () => {
      const client = newClient({ retries: 2 });
      await client.listOrganizations();
      await idp.setFault('error5xx', { target: 'management' });
      const error = await client.listOrganizations().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LogtoUnavailableError);
      expect(error).toMatchObject({ reason: 'server_error', status: 503, attempts: 3, ambiguous: false });
    });

    it('down → LogtoUnavailableError (network) after the retries', async () => {
      const client = newClient({ retries: 1 });
      await client.listOrganizations();
      await idp.setFault('down', { target: 'management' });
      requests = [];
      const error = await client.listOrganizations().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LogtoUnavailableError);
      expect(error).toMatchObject({ reason: 'network', attempts: 2, ambiguous: false });
      expect(count('GET', '/api/organizations')).toBe(2);
    });

    it('a connection dropped after a POST was sent is ambiguous and not retried', async () => {
      const client = newClient({ retries: 2 });
      await client.listOrganizations();
      await idp.setFault('down', { target: 'management' });
      requests = [];
      const error = await client.createOrganization({ name: unique('dropped') }).catch((e: unknown) => e);
      expect(error).toMatchObject({ constructor: LogtoUnavailableError, reason: 'network', attempts: 1, ambiguous: true });
      expect(count('POST', '/api/organizations')).toBe(1);
    });

    it('an unreachable token endpoint is LogtoUnavailableError too', async () => {
      await idp.setFault('down', { target: 'token' });
      const error = await newClient({ retries: 0 }).listOrganizations().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LogtoUnavailableError);
      expect(error).toMatchObject({ reason: 'network', path: '/oidc/token' });
    });

    it('connection refused is retried even for a POST (nothing was sent)', async () => {
      const client = newClient({ endpoint: `http://127.0.0.1:${await closedPort()}`, retries: 1 });
      const error = await client.createOrganization({ name: 'never' }).catch((e: unknown) => e);
      expect(error).toMatchObject({ constructor: LogtoUnavailableError, reason: 'network', attempts: 2, ambiguous: false });
    });

    it('slow beyond the timeout → LogtoUnavailableError with reason timeout (a GET is retried)', async () => {
      const client = newClient({ timeoutMs: 200, retries: 1 });
      await client.listOrganizations();
      await idp.setFault('slow', { delayMs: 1000, target: 'management' });
      requests = [];
      const error = await client.listOrganizations().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LogtoUnavailableError);
      expect(error).toMatchObject({ reason: 'timeout', attempts: 2, ambiguous: false });
      expect(count('GET', '/api/organizations')).toBe(2);
    });

    it('timeoutAfterSuccess on POST → timeout error, not retried, exactly one organization created', async () => {
      const client = newClient({ timeoutMs: 300, retries: 2 });
      await client.listOrganizations();
      await idp.setFault('timeoutAfterSuccess', { delayMs: 1500, target: 'management', times: 1 });
      requests = [];
      const name = unique('ambiguous');
      const error = await client.createOrganization({ name, customData: { tenantId: name } }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LogtoUnavailableError);
      expect(error).toMatchObject({ reason: 'timeout', attempts: 1, ambiguous: true, method: 'POST', path: '/api/organizations' });
      expect(count('POST', '/api/organizations')).toBe(1);

      const afterwards = await client.findOrganizations((o) => o.customData.tenantId === name);
      expect(afterwards).toHaveLength(1);
      expect(afterwards[0]?.name).toBe(name);
    });

    it('timeoutAfterSuccess on DELETE → retried, and the 404 of the retry means the delete happened', async () => {
      const client = newClient({ timeoutMs: 300, retries: 2 });
      const org = await client.createOrganization({ name: unique('delete-twice') });
      await idp.setFault('timeoutAfterSuccess', { delayMs: 1500, target: 'management', times: 1 });
      requests = [];
      await expect(client.deleteOrganization(org.id)).resolves.toBeUndefined();
      expect(count('DELETE', `/api/organizations/${org.id}`)).toBe(2);
      await expect(client.getOrganization(org.id)).rejects.toBeInstanceOf(LogtoNotFoundError);
    });
  });

  describe('unconfigured', () => {
    it.each([
      ['no credentials', { m2mAppId: undefined, m2mAppSecret: undefined }, ['LOGTO_M2M_APP_ID', 'LOGTO_M2M_APP_SECRET']],
      ['no endpoint', { endpoint: undefined }, ['LOGTO_ENDPOINT']],
    ])('%s → configured false and every call throws LogtoNotConfiguredError', async (_label, config, missing) => {
      const client = newClient(config);
      expect(client.configured).toBe(false);
      const calls: Promise<unknown>[] = [
        client.createOrganization({ name: 'x' }),
        client.getOrganization('x'),
        client.updateOrganization('x', {}),
        client.deleteOrganization('x'),
        client.listOrganizations(),
        client.findOrganizations(() => true),
        client.addOrganizationUsers('x', ['u']),
        client.getUser('u'),
        client.assignOrganizationRoles('x', ['u'], ['r']),
        client.listOrganizationRoles(),
        client.getOrganizationRoleResourceScopes('x'),
        client.status(),
      ];
      for (const call of calls) {
        await expect(call).rejects.toMatchObject({ constructor: LogtoNotConfiguredError, missing });
      }
      expect(requests).toEqual([]);
    });
  });

  describe('status and readiness', () => {
    it('status() answers when Logto is up', async () => {
      await expect(newClient().status()).resolves.toBeUndefined();
      expect(tokenRequests()).toBe(0); // public endpoint, no token
    });

    it('LogtoReadinessCheck: up, unreachable, unconfigured', async () => {
      const check = new LogtoReadinessCheck(newClient());
      expect(check).toMatchObject({ name: 'logto', critical: false });
      await expect(check.check()).resolves.toEqual({ logto: { status: 'up' } });

      await idp.setFault('down', { target: 'management' });
      const down = await check.check().catch((e: unknown) => e);
      expect(down).toBeInstanceOf(LogtoReadinessError);
      expect(down).toMatchObject({ isHealthCheckError: true, causes: { logto: { status: 'down', reason: 'unreachable' } } });
      await idp.setFault('none');

      const unconfigured = await new LogtoReadinessCheck(newClient({ endpoint: undefined })).check().catch((e: unknown) => e);
      expect(unconfigured).toMatchObject({ causes: { logto: { status: 'down', reason: 'unconfigured' } } });
    });
  });
});
