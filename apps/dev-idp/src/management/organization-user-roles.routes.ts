import { type Body, requireBody, stringArray } from './input-guards';
import type { ManagementState } from './management-state';
import { paginate, parsePagination } from './pagination';
import { dbConstraintViolated, foreignKeyNotFound, notFound, RequestError, requireMembership } from './request-error';
import type { RouteTable } from './route-table';

/** Organization roles of members, as core routes/organization/user/role-relations.ts. */
export function addOrganizationUserRoleRoutes(routes: RouteTable, state: ManagementState): void {
  const requireMember = (organizationId: string, userId: string): void => {
    if (!state.membersOf(organizationId).has(userId)) {
      throw requireMembership();
    }
  };

  routes.add('POST', '/organizations/:id/users/roles', ({ param, body }) => {
    const organizationId = param('id');
    const input = requireBody(body);
    const userIds = stringArray(input, 'userIds');
    const roleIds = stringArray(input, 'organizationRoleIds');
    // Bulk assignment goes straight to the relation table: non-members and unknown roles are FK violations.
    if (userIds.some((userId) => !state.membersOf(organizationId).has(userId))) {
      throw foreignKeyNotFound();
    }
    assignableRoles(state, roleIds);
    for (const userId of userIds) {
      roleIds.forEach((roleId) => state.rolesOfMember(organizationId, userId).add(roleId));
    }
    return { status: 201 };
  });

  routes.add('GET', '/organizations/:id/users/:userId/roles', ({ param, url }) => {
    const organizationId = param('id');
    const userId = param('userId');
    const pageRequest = parsePagination(url.searchParams, { optional: true });
    requireMember(organizationId, userId);
    const roles = [...state.rolesOfMember(organizationId, userId)].flatMap((roleId) => {
      const role = state.roles.get(roleId);
      return role ? [role] : [];
    });
    return paginate(roles, pageRequest, url);
  });

  routes.add('POST', '/organizations/:id/users/:userId/roles', ({ param, body }) => {
    const organizationId = param('id');
    const userId = param('userId');
    const roleIds = resolveRoleIds(state, requireBody(body));
    requireMember(organizationId, userId);
    roleIds.forEach((roleId) => state.rolesOfMember(organizationId, userId).add(roleId));
    return { status: 201, body: { organizationRoleIds: roleIds } };
  });

  routes.add('PUT', '/organizations/:id/users/:userId/roles', ({ param, body }) => {
    const organizationId = param('id');
    const userId = param('userId');
    const roleIds = resolveRoleIds(state, requireBody(body));
    requireMember(organizationId, userId);
    const assigned = state.rolesOfMember(organizationId, userId);
    assigned.clear();
    roleIds.forEach((roleId) => assigned.add(roleId));
    return { status: 204 };
  });

  routes.add('DELETE', '/organizations/:id/users/:userId/roles/:roleId', ({ param }) => {
    const organizationId = param('id');
    const userId = param('userId');
    requireMember(organizationId, userId);
    if (!state.rolesOfMember(organizationId, userId).delete(param('roleId'))) {
      throw notFound();
    }
    return { status: 204 };
  });
}

/** `organizationRoleIds` and/or `organizationRoleNames`, deduplicated, names resolved to IDs. */
function resolveRoleIds(state: ManagementState, input: Body): string[] {
  const ids = stringArray(input, 'organizationRoleIds', { required: false, nonEmpty: false });
  const names = stringArray(input, 'organizationRoleNames', { required: false, nonEmpty: false });
  const byName = new Map([...state.roles.values()].map((role) => [role.name, role.id]));
  const missingNames = names.filter((name) => !byName.has(name));
  if (missingNames.length > 0) {
    throw new RequestError(
      422,
      'organization.role_names_not_found',
      `Cannot find roles with names: ${missingNames.join(', ')}.`,
      { roleNames: missingNames },
    );
  }
  const roleIds = [...new Set([...ids, ...names.map((name) => byName.get(name) ?? '')])];
  assignableRoles(state, roleIds);
  return roleIds;
}

/** Unknown role IDs are FK violations; machine-to-machine roles cannot be given to users (a DB constraint). */
function assignableRoles(state: ManagementState, roleIds: readonly string[]): void {
  for (const roleId of roleIds) {
    const role = state.roles.get(roleId);
    if (!role) {
      throw foreignKeyNotFound();
    }
    if (role.type !== 'User') {
      throw dbConstraintViolated();
    }
  }
}
