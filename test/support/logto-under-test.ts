/**
 * "The Logto under test" for the conformance suite (test/conformance): one interface over a real Logto reached
 * through LOGTO_CONFORMANCE_* (npm run test:logto) and over the dev IdP started here (npm test), so the same
 * assertions run against both and the dev IdP cannot drift from Logto unnoticed.
 *
 * Everything goes through Logto's public surface (Management API, /oidc) on both targets. Browser sign-ins
 * (`authorize`) go through Logto's Experience API or the dev IdP's sign-in page. `signIn`'s tokens for the shapes
 * suite are minted over IPC on the dev IdP, with the scopes Logto would grant at sign-in, read from the dev IdP's
 * own Management API (organization roles) and from the global roles given here (the dev IdP has no user role
 * assignment, so its real sign-in could not grant a global role's scopes).
 */
import { randomBytes } from 'node:crypto';

import { type DevIdp, MANAGEMENT_API_RESOURCE, startDevIdp } from './dev-idp';
import { signInAtAuthorizationEndpoint, signInThroughExperience, type SignedInUser } from './logto-experience-signin';

export { MANAGEMENT_API_RESOURCE };

export interface AppCredential {
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface LogtoAnswer<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

export interface ConformanceUser {
  readonly id: string;
  readonly username: string;
  readonly password: string;
}

export interface TokenRequest {
  readonly resource?: string;
  /** Space-separated, as on the wire. */
  readonly scope?: string;
  readonly organizationId?: string;
}

export interface LogtoUnderTest {
  /** For test titles and messages: "the dev IdP" or "Logto at <endpoint>". */
  readonly description: string;
  readonly endpoint: string;
  /** An app holding the Management API `all` scope ("Logto Management API access"). */
  readonly admin: AppCredential;
  /** A Management API call (`/api${path}`) as `admin`; never throws on an HTTP status. */
  management<T = unknown>(method: string, path: string, body?: unknown): Promise<LogtoAnswer<T>>;
  /** A client_credentials grant at /oidc/token (HTTP Basic); never throws on an HTTP status. */
  clientCredentials(app: AppCredential, request: TokenRequest): Promise<LogtoAnswer<Record<string, unknown>>>;
  /** A new user with a username and password (`POST /api/users`). */
  createUser(prefix: string): Promise<ConformanceUser>;
  /** Gives a user global roles (`POST /api/users/:id/roles`). */
  assignUserRoles(userId: string, roleIds: string[]): Promise<void>;
  /** Signs a user in, asking for `scopes` of `resource`; the user's tokens come from the answer. */
  signIn(user: ConformanceUser, resource: string, scopes: readonly string[]): Promise<SignedInUser>;
  /**
   * Opens `authorizeUrl` (any app, e.g. a Traditional one) and signs the user in as a browser would (Logto's
   * Experience API, or the dev IdP's sign-in page); the URL it redirects back to, with `code` or `error`.
   */
  authorize(user: ConformanceUser, authorizeUrl: string): Promise<string>;
  stop(): Promise<void>;
}

/** The real Logto named by the environment, or why the conformance suite cannot run against one. */
export function realLogtoFromEnv(env: NodeJS.ProcessEnv = process.env): { endpoint: string; admin: AppCredential } | { missing: string[] } {
  const value = (name: string): string | undefined => (env[name]?.trim() === '' ? undefined : env[name]?.trim());
  const endpoint = value('LOGTO_CONFORMANCE_ENDPOINT');
  const clientId = value('LOGTO_CONFORMANCE_M2M_APP_ID');
  const clientSecret = value('LOGTO_CONFORMANCE_M2M_APP_SECRET');
  if (endpoint === undefined || clientId === undefined || clientSecret === undefined) {
    const missing = [
      ['LOGTO_CONFORMANCE_ENDPOINT', endpoint],
      ['LOGTO_CONFORMANCE_M2M_APP_ID', clientId],
      ['LOGTO_CONFORMANCE_M2M_APP_SECRET', clientSecret],
    ].flatMap(([name, given]) => (given === undefined ? [name as string] : []));
    return { missing };
  }
  return { endpoint: endpoint.replace(/\/+$/, ''), admin: { clientId, clientSecret } };
}

/** A real Logto: users sign in through its Experience API with a first-party SPA created here once. */
export function connectRealLogto(endpoint: string, admin: AppCredential): LogtoUnderTest {
  const common = managementClient(endpoint, admin);
  let signInApp: Promise<string> | undefined;
  const signInAppId = (): Promise<string> =>
    (signInApp ??= (async () => {
      const created = await common.management<{ id: string }>('POST', '/applications', {
        name: 'cameleer conformance sign-in',
        type: 'SPA',
        oidcClientMetadata: { redirectUris: [SIGN_IN_REDIRECT], postLogoutRedirectUris: [] },
      });
      return expectStatus(created, [200, 201], 'create the sign-in app').id;
    })());
  return {
    ...common,
    description: `Logto at ${endpoint}`,
    assignUserRoles: async (userId, roleIds) => {
      expectStatus(await common.management('POST', `/users/${userId}/roles`, { roleIds }), [201], 'assign user roles');
    },
    signIn: async (user, resource, scopes) =>
      signInThroughExperience({
        endpoint,
        appId: await signInAppId(),
        redirectUri: SIGN_IN_REDIRECT,
        username: user.username,
        password: user.password,
        resource,
        scopes,
      }),
    authorize: (user, authorizeUrl) => signInAtAuthorizationEndpoint(endpoint, authorizeUrl, user.username, user.password),
    stop: async () => {},
  };
}

/** A dev IdP of this test file's own, with an admin app registered over IPC. */
export async function startDevIdpUnderTest(): Promise<LogtoUnderTest> {
  const idp = await startDevIdp();
  const admin = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
  const common = managementClient(idp.endpoint, admin);
  const globalRoles = new Map<string, Set<string>>();
  return {
    ...common,
    description: 'the dev IdP',
    assignUserRoles: async (userId, roleIds) => {
      for (const roleId of roleIds) {
        expectStatus(await common.management('GET', `/roles/${roleId}`), [200], `find role ${roleId}`);
      }
      globalRoles.set(userId, new Set([...(globalRoles.get(userId) ?? []), ...roleIds]));
    },
    signIn: async (user, resource, scopes) => devIdpSignIn(idp, common, user, resource, scopes, [...(globalRoles.get(user.id) ?? [])]),
    authorize: (user, authorizeUrl) => idp.signInWithPassword({ authorizeUrl, username: user.username, password: user.password }),
    stop: () => idp.stop(),
  };
}

const SIGN_IN_REDIRECT = 'http://127.0.0.1/conformance/callback';

type ManagementClient = Pick<LogtoUnderTest, 'endpoint' | 'admin' | 'management' | 'clientCredentials' | 'createUser'>;

function managementClient(endpoint: string, admin: AppCredential): ManagementClient {
  let token: { value: string; until: number } | undefined;
  const clientCredentials: LogtoUnderTest['clientCredentials'] = async (app, { resource, scope, organizationId }) => {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    for (const [name, value] of [['resource', resource], ['scope', scope], ['organization_id', organizationId]] as const) {
      if (value !== undefined) {
        form.set(name, value);
      }
    }
    // RFC 6749 2.3.1: both parts form-encoded before base64 (Logto 1.20-1.41 secrets may hold '#' and ':').
    const basic = Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`).toString('base64');
    const response = await fetch(`${endpoint}/oidc/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: form,
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
  };
  const management = async <T>(method: string, path: string, body?: unknown): Promise<LogtoAnswer<T>> => {
    if (token === undefined || Date.now() > token.until) {
      const answer = await clientCredentials(admin, { resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
      const accessToken = expectStatus(answer, [200], 'Management API token').access_token;
      token = { value: String(accessToken), until: Date.now() + 60_000 };
    }
    const response = await fetch(`${endpoint}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token.value}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    // Some answers are plain text (POST /applications/:id/roles answers "Created").
    const json = (response.headers.get('content-type') ?? '').includes('json');
    return { status: response.status, headers: response.headers, body: (json && text !== '' ? JSON.parse(text) : text || undefined) as T };
  };
  return {
    endpoint,
    admin,
    management,
    clientCredentials,
    createUser: async (prefix) => {
      // Logto usernames: ^[A-Z_a-z]\w*$ (no dash).
      const username = `${prefix}_${randomBytes(4).toString('hex')}`;
      const password = `Cc-${randomBytes(9).toString('base64url')}9!`;
      const created = await management<{ id: string }>('POST', '/users', { username, password });
      return { id: expectStatus(created, [200], `create user ${username}`).id, username, password };
    },
  };
}

/**
 * What Logto grants at sign-in, for the dev IdP: the requested scopes the user holds on `resource` through global
 * roles and, for a plain token, organization roles in any organization, for an organization-scoped token those in
 * that organization (core libraries/user.ts findUserScopesForResourceIndicator). A non-member is refused, as
 * Logto's checkOrganizationAccess does. Organization tokens carry organization (template) scopes, which the dev
 * IdP has none of.
 */
async function devIdpSignIn(
  idp: DevIdp,
  logto: ManagementClient,
  user: ConformanceUser,
  resource: string,
  requested: readonly string[],
  globalRoleIds: readonly string[],
): Promise<SignedInUser> {
  const resources = expectStatus(await logto.management<{ id: string; indicator: string }[]>('GET', '/resources'), [200], 'list resources');
  const resourceId = resources.find((candidate) => candidate.indicator === resource)?.id;
  const globalScopes = new Set<string>();
  for (const roleId of globalRoleIds) {
    const scopes = expectStatus(await logto.management<{ name: string; resourceId: string }[]>('GET', `/roles/${roleId}/scopes`), [200], 'role scopes');
    scopes.filter((scope) => scope.resourceId === resourceId).forEach((scope) => globalScopes.add(scope.name));
  }
  const organizationScopes = async (organizationId: string): Promise<string[] | undefined> => {
    const roles = await logto.management<{ id: string }[]>('GET', `/organizations/${organizationId}/users/${user.id}/roles`);
    if (roles.status !== 200) {
      return undefined;
    }
    const allRoles = expectStatus(
      await logto.management<{ id: string; resourceScopes: { name: string; resource: { id: string } }[] }[]>('GET', '/organization-roles?page_size=100'),
      [200],
      'organization roles',
    );
    const held = new Set(roles.body.map((role) => role.id));
    return allRoles
      .filter((role) => held.has(role.id))
      .flatMap((role) => role.resourceScopes.filter((scope) => scope.resource.id === resourceId).map((scope) => scope.name));
  };
  const granted = (names: Iterable<string>): string[] => [...new Set(names)].filter((name) => requested.includes(name));
  return {
    userId: user.id,
    resourceToken: async () => {
      const organizations = expectStatus(await logto.management<{ id: string }[]>('GET', '/organizations?page_size=100'), [200], 'organizations');
      const fromOrganizations = (await Promise.all(organizations.map((organization) => organizationScopes(organization.id)))).flatMap((scopes) => scopes ?? []);
      return idp.mintUserToken({ sub: user.id, resource, scopes: granted([...globalScopes, ...fromOrganizations]) });
    },
    organizationResourceToken: async (organizationId) => {
      const scopes = await organizationScopes(organizationId);
      if (scopes === undefined) {
        throw new Error(`access_denied: user ${user.id} is not a member of organization ${organizationId}`);
      }
      return idp.mintUserToken({ sub: user.id, resource, organizationId, scopes: granted([...globalScopes, ...scopes]) });
    },
    organizationToken: async (organizationId) => {
      if ((await organizationScopes(organizationId)) === undefined) {
        throw new Error(`access_denied: user ${user.id} is not a member of organization ${organizationId}`);
      }
      return idp.mintOrganizationToken({ sub: user.id, organizationId, scopes: [] });
    },
  };
}

/** The answer's body when its status is one of `statuses`; otherwise an error naming the step and Logto's answer. */
export function expectStatus<T>(answer: LogtoAnswer<T>, statuses: number[], step: string): T {
  if (!statuses.includes(answer.status)) {
    throw new Error(`${step}: Logto answered ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`);
  }
  return answer.body;
}
