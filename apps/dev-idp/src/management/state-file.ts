import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { ApiResource, ResourceCatalog, ResourceScope } from '../oidc/resource-catalog';
import type { AccessState, Application, ApplicationSecret, Role } from './access-state';
import type { Hook } from './hooks';
import type { ManagementState, Organization, OrganizationRole, User } from './management-state';
import type { StoredInvitation } from './organization-invitations.routes';

/**
 * The Management API's data in the data dir (Logto keeps it in its database), so a restarted dev IdP still has the
 * organizations, members, users, applications, roles and resources that tenants and tokens refer to. Mode 0600:
 * it holds password hashes and application secrets (development-only values, still nobody else's business).
 */
const STATE_FILE = 'management-state.json';
const VERSION = 1;

type Relation = [string, string[]][];
type NestedRelation = [string, Relation][];

interface StateFile {
  version: number;
  resources: { resource: ApiResource; scopes: ResourceScope[] }[];
  users: User[];
  organizations: Organization[];
  members: Relation;
  memberRoles: NestedRelation;
  organizationRoles: OrganizationRole[];
  organizationRoleResourceScopes: Relation;
  applicationMembers: NestedRelation;
  roles: Role[];
  roleScopes: Relation;
  applications: Application[];
  applicationRoles: Relation;
  applicationSecrets: [string, ApplicationSecret[]][];
  /** Absent in files written before the dev IdP had webhooks. */
  hooks?: Hook[];
  /** Absent in files written before invitations existed. */
  organizationInvitations?: StoredInvitation[];
}

export interface ManagementData {
  catalog: ResourceCatalog;
  state: ManagementState;
  access: AccessState;
}

/** Loads the saved resources (first, since the rest refers to their scope IDs), then everything else; false when none is saved. */
export function loadManagementData(dataDir: string, { catalog, state, access }: ManagementData): boolean {
  const saved = readStateFile(join(dataDir, STATE_FILE));
  if (saved === undefined) {
    return false;
  }
  catalog.restore(saved.resources);
  fill(state.users, saved.users.map((user) => [user.id, user]));
  fill(state.organizations, saved.organizations.map((organization) => [organization.id, organization]));
  fill(state.members, saved.members.map(([id, ids]) => [id, new Set(ids)]));
  fill(state.memberRoles, saved.memberRoles.map(([id, relation]) => [id, toMap(relation)]));
  fill(state.roles, saved.organizationRoles.map((role) => [role.id, role]));
  fill(state.roleResourceScopes, toMap(saved.organizationRoleResourceScopes));
  fill(state.applicationMembers, saved.applicationMembers.map(([id, relation]) => [id, toMap(relation)]));
  fill(state.invitations, (saved.organizationInvitations ?? []).map((invitation) => [invitation.id, invitation]));
  fill(access.roles, saved.roles.map((role) => [role.id, role]));
  fill(access.roleScopes, toMap(saved.roleScopes));
  fill(access.applications, saved.applications.map((application) => [application.id, application]));
  fill(access.applicationRoles, toMap(saved.applicationRoles));
  fill(access.secrets, saved.applicationSecrets);
  fill(state.hooks, (saved.hooks ?? []).map((hook) => [hook.id, hook]));
  access.syncGrants();
  return true;
}

/** Replaces the saved data atomically (write aside, rename), so a reader (the dev:token CLI) never sees half a file. */
export function saveManagementData(dataDir: string, { catalog, state, access }: ManagementData): void {
  const file: StateFile = {
    version: VERSION,
    resources: catalog.snapshot(),
    users: [...state.users.values()],
    organizations: [...state.organizations.values()],
    members: [...state.members].map(([id, ids]) => [id, [...ids]]),
    memberRoles: [...state.memberRoles].map(([id, relation]) => [id, fromMap(relation)]),
    organizationRoles: [...state.roles.values()],
    organizationRoleResourceScopes: fromMap(state.roleResourceScopes),
    applicationMembers: [...state.applicationMembers].map(([id, relation]) => [id, fromMap(relation)]),
    roles: [...access.roles.values()],
    roleScopes: fromMap(access.roleScopes),
    applications: [...access.applications.values()],
    applicationRoles: fromMap(access.applicationRoles),
    applicationSecrets: [...access.secrets],
    hooks: [...state.hooks.values()],
    organizationInvitations: [...state.invitations.values()],
  };
  const path = join(dataDir, STATE_FILE);
  const temp = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temp, JSON.stringify(file), { mode: 0o600 });
  renameSync(temp, path);
}

function readStateFile(path: string): StateFile | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
  const saved = JSON.parse(text) as Partial<StateFile>;
  if (saved.version !== VERSION) {
    throw new Error(`${path}: written by another dev IdP version (${String(saved.version)}); remove it to start afresh`);
  }
  return saved as StateFile;
}

function fill<K, V>(target: Map<K, V>, entries: Iterable<readonly [K, V]>): void {
  target.clear();
  for (const [key, value] of entries) {
    target.set(key, value);
  }
}

const toMap = (relation: Relation): Map<string, Set<string>> => new Map(relation.map(([id, ids]) => [id, new Set(ids)]));

const fromMap = (relation: Map<string, Set<string>>): Relation => [...relation].map(([id, ids]) => [id, [...ids]]);
