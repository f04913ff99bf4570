// What cameleer-saas needs in Logto (README "Authorization"): one API resource with four scopes, organization roles
// carrying tenant scopes as organization-level API resource scopes (three for users, one for tenant-bound apps),
// global roles carrying platform scopes (one for operators, one for automation apps), the control plane's
// machine-to-machine app (Management API access) and the UI's single-page app.
//
// Each role has a type because Logto keeps users and applications apart: a User-type role cannot be given to an
// application (422 application.invalid_role_type, core routes/applications/application-role.ts), and an
// organization-scoped machine-to-machine token carries only the scopes of the app's MachineToMachine organization
// roles (core oidc/grants/client-credentials.ts).

export const API_RESOURCE_NAME = 'Cameleer platform API';

export interface ScopeSpec {
  readonly name: string;
  readonly description: string;
}

export const API_SCOPES: readonly ScopeSpec[] = [
  { name: 'platform:read', description: 'Read platform-wide data (all tenants, licenses). Global role only.' },
  { name: 'platform:write', description: 'Change platform-wide data (tenants, licenses). Global role only.' },
  { name: 'tenant:read', description: "Read one tenant's data. Organization role, organization-scoped token." },
  { name: 'tenant:admin', description: 'Administer one tenant (members, agents, settings). Organization role.' },
];

/** Scopes an organization role must never hold: they would grant platform access through any organization. */
export const PLATFORM_SCOPE_PREFIX = 'platform:';

export type RoleType = 'User' | 'MachineToMachine';

export interface RoleSpec {
  readonly name: string;
  readonly description: string;
  readonly type: RoleType;
  /** Scope names on this API's resource. */
  readonly scopes: readonly string[];
}

export const ORGANIZATION_ROLES: readonly RoleSpec[] = [
  { name: 'owner', description: 'Owner of a Cameleer tenant', type: 'User', scopes: ['tenant:read', 'tenant:admin'] },
  { name: 'admin', description: 'Administrator of a Cameleer tenant', type: 'User', scopes: ['tenant:read', 'tenant:admin'] },
  { name: 'member', description: 'Member of a Cameleer tenant', type: 'User', scopes: ['tenant:read'] },
  {
    name: 'tenant-automation',
    description: 'Machine-to-machine app administering one Cameleer tenant',
    type: 'MachineToMachine',
    scopes: ['tenant:read', 'tenant:admin'],
  },
];

const PLATFORM_OPERATOR_ROLE: RoleSpec = {
  name: 'platform-operator',
  description: 'Operates the Cameleer platform (all tenants)',
  type: 'User',
  scopes: ['platform:read', 'platform:write'],
};

/** The machine-to-machine counterpart of platform-operator, for automation apps. */
const PLATFORM_AUTOMATION_ROLE: RoleSpec = {
  name: 'platform-automation',
  description: 'Machine-to-machine app operating the Cameleer platform (all tenants)',
  type: 'MachineToMachine',
  scopes: ['platform:read', 'platform:write'],
};

/** The global roles, in the order they are reported. */
export const GLOBAL_ROLES: readonly RoleSpec[] = [PLATFORM_OPERATOR_ROLE, PLATFORM_AUTOMATION_ROLE];

/** Logto OSS seeds this machine-to-machine role with the Management API's `all` scope. */
export const SEEDED_MANAGEMENT_ROLE = 'Logto Management API access';
/** Created only when no machine-to-machine role holds the Management API's `all` scope. */
export const FALLBACK_MANAGEMENT_ROLE: RoleSpec = {
  name: 'cameleer-saas Management API access',
  description: 'Logto Management API access for the cameleer-saas control plane',
  type: 'MachineToMachine',
  scopes: ['all'],
};
export const MANAGEMENT_API_SCOPE = 'all';

export const M2M_APP = { name: 'cameleer-saas', description: 'cameleer-saas control plane (Logto Management API access)' };
export const SPA_APP = { name: 'Cameleer UI', description: 'Cameleer web UI (single-page application)' };
/**
 * The edge's sign-in app (issue 15): a Logto "Traditional" web app, so a confidential client, whose redirect and
 * post-logout URIs are the sign-in routes on the auth host (EDGE_AUTH_HOST).
 */
export const EDGE_APP = { name: 'Cameleer edge sign-in', description: 'Browser sign-in at the edge (forward-auth sessions)' };
export const EDGE_CALLBACK_PATH = '/api/auth/callback';
export const EDGE_SIGNED_OUT_PATH = '/api/auth/signed-out';
