import type { OrganizationRole } from '@app/logto-client';
import { hasPlatformScope, type Principal } from '@app/security';
import { OWNER_ROLE_NAME } from '@app/tenants';
import { MembersError } from './members.errors';

/** Scopes no organization role may carry: they would make every member holding it an operator (the bootstrap's rule). */
const PLATFORM_SCOPE_PREFIX = 'platform:';

/** Every scope a role grants, by name: its organization (template) scopes and its API-resource scopes. */
function scopeNamesOf(role: OrganizationRole): string[] {
  return [...new Set([...(role.scopes ?? []), ...(role.resourceScopes ?? [])].map((scope) => scope.name))];
}

/** Who asks to grant or take away roles, as the rules read it. */
export interface RoleGranter {
  /** An operator holding platform:write (a token bound to no organization): may grant any role but a platform-scoped one. */
  readonly operator: boolean;
  /** The scopes of the caller's token (for a tenant caller, those it holds in this tenant). */
  readonly scopes: ReadonlySet<string>;
}

export function granterOf(principal: Principal): RoleGranter {
  if (principal.scheme !== 'logto') {
    return { operator: false, scopes: new Set() };
  }
  return { operator: hasPlatformScope(principal, 'platform:write'), scopes: principal.scopes };
}

/** True when `roleNames` include the owner role. */
export function holdsOwner(roleNames: Iterable<string>): boolean {
  return [...roleNames].includes(OWNER_ROLE_NAME);
}

/**
 * THE rules on organization roles, decided here only (members and invitations both ask):
 * - Only Logto's `User` organization roles are given to people; any other name is UNKNOWN_ROLE, listing the valid ones.
 * - A role carrying a `platform:*` scope is never granted, by anyone (PLATFORM_SCOPED_ROLE).
 * - The order of roles is the inclusion of their scope sets: a caller may add or take away a role only when each of
 *   its scopes is among the caller's own token scopes (ROLE_ABOVE_CALLER); operators with platform:write may change
 *   any. With the bootstrap's roles, owner and admin hold the same scopes (tenant:read, tenant:admin), so an admin may
 *   make an owner; a role with organization (template) scopes, which never appear in an API token, only an operator
 *   may grant.
 * - A tenant keeps at least one owner (LAST_OWNER): see assertKeepsAnOwner.
 */
export class RoleRules {
  private readonly byName: ReadonlyMap<string, OrganizationRole>;

  constructor(roles: readonly OrganizationRole[]) {
    this.byName = new Map(roles.filter((role) => role.type === 'User').map((role) => [role.name, role]));
  }

  /** The valid role names, sorted. */
  get names(): string[] {
    return [...this.byName.keys()].sort();
  }

  /** The roles named, in order and without repeats; UNKNOWN_ROLE naming the unknown ones and the valid ones. */
  resolve(names: readonly string[]): OrganizationRole[] {
    const unknown = names.filter((name) => !this.byName.has(name));
    if (unknown.length > 0) {
      const valid = this.names.join(', ');
      throw new MembersError('UNKNOWN_ROLE', `Unknown role${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => `"${name}"`).join(', ')}; valid roles: ${valid}.`, {
        errors: [{ field: 'roles', messages: [`valid roles: ${valid}`] }],
      });
    }
    return [...new Set(names)].map((name) => this.byName.get(name) as OrganizationRole);
  }

  /** Refuses to give anyone `roles` when one carries a platform:* scope. */
  assertNoPlatformScope(roles: readonly OrganizationRole[]): void {
    for (const role of roles) {
      const platformScopes = scopeNamesOf(role).filter((name) => name.startsWith(PLATFORM_SCOPE_PREFIX));
      if (platformScopes.length > 0) {
        throw new MembersError(
          'PLATFORM_SCOPED_ROLE',
          `The role "${role.name}" carries ${platformScopes.join(', ')}; organization roles never grant platform scopes (remove them from the role in Logto).`,
        );
      }
    }
  }

  /**
   * Refuses when `granter` may not add or take away one of the roles named (roles unknown to Logto, e.g. deleted
   * since, carry no scopes and pass).
   */
  assertWithinReach(roleNames: Iterable<string>, granter: RoleGranter): void {
    if (granter.operator) {
      return;
    }
    for (const name of roleNames) {
      const role = this.byName.get(name);
      const missing = role === undefined ? [] : scopeNamesOf(role).filter((scope) => !granter.scopes.has(scope));
      if (missing.length > 0) {
        throw new MembersError('ROLE_ABOVE_CALLER', `The role "${name}" holds ${missing.join(', ')}, which you do not hold; you cannot grant or take it away.`);
      }
    }
  }
}

/**
 * A tenant keeps at least one owner: refuses a change that leaves `ownersAfter` empty when there was an owner before
 * (a tenant created without one is not blocked from every other change).
 */
export function assertKeepsAnOwner(ownersBefore: number, ownersAfter: number): void {
  if (ownersBefore > 0 && ownersAfter === 0) {
    throw new MembersError('LAST_OWNER', 'This is the tenant’s last owner: make someone else owner first.');
  }
}
