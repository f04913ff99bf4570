import type { OrganizationApplications } from '../oidc/create-provider';
import type { ResourceCatalog } from '../oidc/resource-catalog';
import { notExistsWithId } from './request-error';

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

/**
 * The Management API's in-memory data for the process lifetime. Users are implicit: any user ID can join an
 * organization (there is no user store here; tokens are minted for whatever `sub` a test names). The token
 * endpoint reads the organizations' machine-to-machine members and their roles from here when it issues
 * organization-scoped M2M tokens.
 */
export class ManagementState implements OrganizationApplications {
  readonly organizations = new Map<string, Organization>();
  /** orgId → member user IDs, in insertion order. */
  readonly members = new Map<string, Set<string>>();
  /** orgId → userId → organization role IDs. */
  readonly memberRoles = new Map<string, Map<string, Set<string>>>();
  readonly roles = new Map<string, OrganizationRole>();
  /** roleId → resource scope IDs. */
  readonly roleResourceScopes = new Map<string, Set<string>>();
  /** First time a user ID was seen, for the synthesized user objects' timestamps. */
  readonly userSeenAt = new Map<string, number>();
  /** orgId → member application ID → its organization role IDs; roles leave with the membership, as in Logto. */
  readonly applicationMembers = new Map<string, Map<string, Set<string>>>();

  constructor(readonly catalog: ResourceCatalog) {}

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
    if (!this.userSeenAt.has(userId)) {
      this.userSeenAt.set(userId, Date.now());
    }
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
