import type { Hook } from './hooks';
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

import type { UserDefinition } from '../config/config-file';
import type { OrganizationApplications, UserDirectory } from '../oidc/create-provider';
import type { ResourceCatalog } from '../oidc/resource-catalog';
import type { StoredInvitation } from './organization-invitations.routes';
import { notExistsWithId, notFound } from './request-error';

export const TENANT_ID = 'default';

/** Logto's `Organization` entity (core routes/organization/guards.ts). */
export interface Organization {
  tenantId: string;
  id: string;
  name: string;
  description: string | null;
  customData: Record<string, unknown>;
  isMfaRequired: boolean;
  color: Record<string, unknown>;
  branding: Record<string, unknown>;
  customCss: string | null;
  createdAt: number;
}

export type OrganizationRoleType = 'User' | 'MachineToMachine';

/** Logto's `OrganizationRole` entity. */
export interface OrganizationRole {
  tenantId: string;
  id: string;
  name: string;
  description: string | null;
  type: OrganizationRoleType;
}

/** Logto's `User` entity (the fields the dev IdP keeps); the password only as a salted scrypt hash. */
export interface User {
  id: string;
  username: string | null;
  primaryEmail: string | null;
  primaryPhone: string | null;
  name: string | null;
  avatar: string | null;
  customData: Record<string, unknown>;
  profile: Record<string, unknown>;
  isSuspended: boolean;
  lastSignInAt: number | null;
  createdAt: number;
  updatedAt: number;
  passwordHash: { salt: string; hash: string } | null;
}

export function hashPassword(password: string): { salt: string; hash: string } {
  const salt = randomBytes(16);
  return { salt: salt.toString('base64url'), hash: scryptSync(password, salt, 32).toString('base64url') };
}

/** A stand-in hash, compared against when the username is unknown, so both failures cost the same scrypt. */
const NO_USER_HASH = hashPassword(randomBytes(16).toString('base64url'));

function passwordMatches(password: string, stored: { salt: string; hash: string }): boolean {
  const actual = scryptSync(password, Buffer.from(stored.salt, 'base64url'), 32);
  return timingSafeEqual(actual, Buffer.from(stored.hash, 'base64url'));
}

/**
 * Logto's user response (core utils/user.ts `transpileUserProfileResponse`: `userInfoSelectFields` plus
 * `hasPassword`); never the password or its hash.
 */
export function userView(user: User): Record<string, unknown> {
  const { passwordHash, ...fields } = user;
  return { ...fields, identities: {}, applicationId: null, hasPassword: passwordHash !== null };
}

/**
 * The Management API's in-memory data for the process lifetime. Users exist only once created (POST /api/users)
 * or seeded from the config file, as in Logto: adding an unknown user to an organization is refused. The token
 * endpoint reads the organizations' machine-to-machine members and their roles from here when it issues
 * organization-scoped M2M tokens.
 */
export class ManagementState implements OrganizationApplications, UserDirectory {
  readonly organizations = new Map<string, Organization>();
  /** orgId → member user IDs, in insertion order. */
  readonly members = new Map<string, Set<string>>();
  /** orgId → userId → organization role IDs. */
  readonly memberRoles = new Map<string, Map<string, Set<string>>>();
  readonly roles = new Map<string, OrganizationRole>();
  /** roleId → resource scope IDs. */
  readonly roleResourceScopes = new Map<string, Set<string>>();
  readonly users = new Map<string, User>();
  /** orgId → member application ID → its organization role IDs; roles leave with the membership, as in Logto. */
  readonly applicationMembers = new Map<string, Map<string, Set<string>>>();
  /** Webhooks (POST /api/hooks), by id. */
  readonly hooks = new Map<string, Hook>();
  /** Organization invitations by ID (organization-invitations.routes.ts). */
  readonly invitations = new Map<string, StoredInvitation>();

  constructor(
    readonly catalog: ResourceCatalog,
    seededUsers: readonly UserDefinition[] = [],
  ) {
    this.seedUsers(seededUsers);
  }

  /** Adds the config file's users that do not exist (a saved state keeps those already there as they are). */
  seedUsers(seededUsers: readonly UserDefinition[]): void {
    for (const seeded of seededUsers) {
      if (this.users.has(seeded.id)) {
        continue;
      }
      const now = Date.now();
      this.users.set(seeded.id, {
        id: seeded.id,
        username: seeded.username,
        primaryEmail: null,
        primaryPhone: null,
        name: seeded.name ?? null,
        avatar: null,
        customData: {},
        profile: {},
        isSuspended: false,
        lastSignInAt: null,
        createdAt: now,
        updatedAt: now,
        passwordHash: hashPassword(seeded.password),
      });
    }
  }

  /**
   * GET /api/users/:id of an unknown user: core's `findUserById` is a `pool.one` whose NotFoundError
   * core middleware/koa-slonik-error-handler.ts answers with 404 `entity.not_found` (asserted by Logto's
   * integration test api/admin-user.test.ts "should fail when get user by invalid id").
   */
  userOr404(id: string): User {
    const user = this.users.get(id);
    if (!user) {
      throw notFound();
    }
    return user;
  }

  /** Deleting a user drops its memberships and organization roles (FK cascades in Logto's schema). */
  deleteUser(userId: string): void {
    this.users.delete(userId);
    for (const organizationId of this.members.keys()) {
      this.removeMember(organizationId, userId);
    }
    // organization_invitations.inviter_id and accepted_user_id reference users `on delete cascade`.
    for (const [id, invitation] of this.invitations) {
      if (invitation.inviterId === userId || invitation.acceptedUserId === userId) {
        this.invitations.delete(id);
      }
    }
  }

  organizationOr404(id: string): Organization {
    const organization = this.organizations.get(id);
    if (!organization) {
      throw notExistsWithId('organization', id);
    }
    return organization;
  }

  roleOr404(id: string): OrganizationRole {
    const role = this.roles.get(id);
    if (!role) {
      throw notExistsWithId('organization role', id);
    }
    return role;
  }

  membersOf(organizationId: string): Set<string> {
    let members = this.members.get(organizationId);
    if (!members) {
      members = new Set();
      this.members.set(organizationId, members);
    }
    return members;
  }

  rolesOfMember(organizationId: string, userId: string): Set<string> {
    let byUser = this.memberRoles.get(organizationId);
    if (!byUser) {
      byUser = new Map();
      this.memberRoles.set(organizationId, byUser);
    }
    let roleIds = byUser.get(userId);
    if (!roleIds) {
      roleIds = new Set();
      byUser.set(userId, roleIds);
    }
    return roleIds;
  }

  addMember(organizationId: string, userId: string): void {
    this.membersOf(organizationId).add(userId);
  }

  /** Leaving an organization drops the member's roles in it, like Logto's FK cascade. */
  removeMember(organizationId: string, userId: string): boolean {
    this.memberRoles.get(organizationId)?.delete(userId);
    return this.membersOf(organizationId).delete(userId);
  }

  deleteOrganization(organizationId: string): void {
    this.organizations.delete(organizationId);
    this.members.delete(organizationId);
    this.memberRoles.delete(organizationId);
    this.applicationMembers.delete(organizationId);
    // organization_invitations.organization_id references organizations `on delete cascade`.
    for (const [id, invitation] of this.invitations) {
      if (invitation.organizationId === organizationId) {
        this.invitations.delete(id);
      }
    }
  }

  applicationsOf(organizationId: string): Map<string, Set<string>> {
    let applications = this.applicationMembers.get(organizationId);
    if (!applications) {
      applications = new Map();
      this.applicationMembers.set(organizationId, applications);
    }
    return applications;
  }

  isApplicationMember(organizationId: string, applicationId: string): boolean {
    return this.applicationMembers.get(organizationId)?.has(applicationId) === true;
  }

  /** As core queries/organization/application-role-relations.ts getApplicationResourceScopes: distinct, by resource. */
  applicationResourceScopes(organizationId: string, applicationId: string, indicator: string): string[] {
    const resourceId = this.catalog.findByIndicator(indicator)?.id;
    const names = new Set<string>();
    for (const roleId of this.applicationMembers.get(organizationId)?.get(applicationId) ?? []) {
      for (const scopeId of this.roleResourceScopes.get(roleId) ?? []) {
        const scope = this.catalog.findScopeById(scopeId);
        if (scope && scope.resourceId === resourceId) {
          names.add(scope.name);
        }
      }
    }
    return [...names];
  }

  /**
   * The user a username and password identify, as Logto's password verification (core libraries/user.ts
   * `verifyUserPassword`): undefined for an unknown username, a user without a password or a wrong password, which
   * the sign-in page does not tell apart. A suspended user is returned: Logto checks suspension only after the
   * password (core routes/experience/classes/verifications/password-verification.ts), and the page says so.
   */
  userByPassword(username: string, password: string): User | undefined {
    const user = [...this.users.values()].find((candidate) => candidate.username === username);
    const matches = passwordMatches(password, user?.passwordHash ?? NO_USER_HASH);
    return user !== undefined && user.passwordHash !== null && matches ? user : undefined;
  }

  findUser(userId: string): User | undefined {
    return this.users.get(userId);
  }

  isMember(organizationId: string, userId: string): boolean {
    return this.members.get(organizationId)?.has(userId) === true;
  }

  /** The organizations the user is a member of, with the names of the user's organization roles in each. */
  organizationsOfUser(userId: string): { id: string; roleNames: string[] }[] {
    return [...this.members]
      .filter(([organizationId, members]) => members.has(userId) && this.organizations.has(organizationId))
      .map(([organizationId]) => ({
        id: organizationId,
        roleNames: [...(this.memberRoles.get(organizationId)?.get(userId) ?? [])].flatMap((roleId) => this.roles.get(roleId)?.name ?? []),
      }));
  }

  /**
   * Names of the resource's scopes that the user's organization roles hold: in every organization, or in
   * `organizationId` only (core queries/organization/relations.ts `getUserResourceScopes`, as
   * libraries/user.ts `findUserScopesForResourceIndicator` calls it with `findFromOrganizations`). The dev IdP
   * has no global user roles, Logto's other source of user scopes.
   */
  userResourceScopes(userId: string, indicator: string, organizationId?: string): string[] {
    const resourceId = this.catalog.findByIndicator(indicator)?.id;
    const names = new Set<string>();
    for (const [candidate, byUser] of this.memberRoles) {
      if ((organizationId !== undefined && candidate !== organizationId) || !this.isMember(candidate, userId)) {
        continue;
      }
      for (const roleId of byUser.get(userId) ?? []) {
        for (const scopeId of this.roleResourceScopes.get(roleId) ?? []) {
          const scope = this.catalog.findScopeById(scopeId);
          if (scope && scope.resourceId === resourceId) {
            names.add(scope.name);
          }
        }
      }
    }
    return [...names];
  }

  /** The list shape of a role: with its organization scopes (none here) and resource scopes. */
  roleWithScopes(role: OrganizationRole): OrganizationRole & {
    scopes: { id: string; name: string }[];
    resourceScopes: { id: string; name: string; resource: { id: string; name: string } }[];
  } {
    const resourceScopes = [...(this.roleResourceScopes.get(role.id) ?? [])].flatMap((scopeId) => {
      const scope = this.catalog.findScopeById(scopeId);
      const resource = scope && this.catalog.findById(scope.resourceId);
      return scope && resource ? [{ id: scope.id, name: scope.name, resource: { id: resource.id, name: resource.name } }] : [];
    });
    return { ...role, scopes: [], resourceScopes };
  }
}

/** Logto's case-insensitive `q` search over the given fields (it matches substrings with ILIKE). */
export const matchesSearch = (query: string | null, fields: readonly (string | null)[]): boolean =>
  !query || fields.some((field) => field?.toLowerCase().includes(query.toLowerCase()));
