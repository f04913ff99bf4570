import { membershipDelta } from './hooks';
import { requireBody, stringArray } from './input-guards';
import { type ManagementState, matchesSearch, userView } from './management-state';
import { paginate, parsePagination } from './pagination';
import { foreignKeyNotFound, notFound } from './request-error';
import type { RouteTable } from './route-table';

/**
 * Organization membership, as core routes/organization/user/index.ts. The membership insert is a relation row
 * with foreign keys to the organization and the user: an unknown one of either is a ForeignKeyIntegrity
 * violation that core routes/organization/utils.ts `errorHandler` answers with 422
 * `entity.relation_foreign_key_not_found` (asserted by Logto's integration test api/organization/organization-user.test.ts).
 */
export function addOrganizationUserRoutes(routes: RouteTable, state: ManagementState): void {
  const requireKnown = (organizationId: string, userIds: readonly string[]): void => {
    if (!state.organizations.has(organizationId) || userIds.some((userId) => !state.users.has(userId))) {
      throw foreignKeyNotFound();
    }
  };

  routes.add('GET', '/organizations/:id/users', ({ param, url }) => {
    const organizationId = param('id');
    const pageRequest = parsePagination(url.searchParams);
    // No existence check in Logto (getUsersByOrganizationId just finds no rows): an unknown organization lists none.
    const q = url.searchParams.get('q');
    const roleFilter = url.searchParams.get('organizationRoleId');
    const users = [...(state.members.get(organizationId) ?? [])]
      .filter((userId) => {
        const user = state.users.get(userId);
        return matchesSearch(q, [userId, user?.username ?? null, user?.name ?? null, user?.primaryEmail ?? null]);
      })
      .filter((userId) => !roleFilter || state.rolesOfMember(organizationId, userId).has(roleFilter))
      .map((userId) => memberView(state, organizationId, userId));
    return paginate(users, pageRequest, url);
  });

  routes.add('POST', '/organizations/:id/users', ({ param, body }) => {
    const organizationId = param('id');
    const userIds = stringArray(requireBody(body), 'userIds');
    requireKnown(organizationId, userIds);
    const added = userIds.filter((userId) => !state.isMember(organizationId, userId));
    for (const userId of userIds) {
      state.addMember(organizationId, userId);
    }
    return { status: 201, body: { userIds }, hookContexts: [membershipUpdated(organizationId, { addedUserIds: added })] };
  });

  routes.add('PUT', '/organizations/:id/users', ({ param, body }) => {
    const organizationId = param('id');
    const userIds = stringArray(requireBody(body), 'userIds', { nonEmpty: false });
    requireKnown(organizationId, userIds);
    const removed = [...state.membersOf(organizationId)].filter((userId) => !userIds.includes(userId));
    const added = userIds.filter((userId) => !state.isMember(organizationId, userId));
    for (const userId of removed) {
      state.removeMember(organizationId, userId);
    }
    for (const userId of userIds) {
      state.addMember(organizationId, userId);
    }
    return { status: 204, hookContexts: [membershipUpdated(organizationId, { addedUserIds: added, removedUserIds: removed })] };
  });

  routes.add('DELETE', '/organizations/:id/users/:userId', ({ param }) => {
    if (!state.removeMember(param('id'), param('userId'))) {
      throw notFound();
    }
    return { status: 204, hookContexts: [membershipUpdated(param('id'), { removedUserIds: [param('userId')] })] };
  });
}

/** Every membership route appends this (Logto 1.42, routes/organization/user/index.ts), even with empty deltas. */
function membershipUpdated(organizationId: string, delta: { addedUserIds?: string[]; removedUserIds?: string[] }) {
  return { event: 'Organization.Membership.Updated', organizationId, ...membershipDelta(delta) };
}

/** Logto's user response with the member's roles in this organization. */
function memberView(state: ManagementState, organizationId: string, userId: string): Record<string, unknown> {
  const organizationRoles = [...state.rolesOfMember(organizationId, userId)].flatMap((roleId) => {
    const role = state.roles.get(roleId);
    return role ? [{ id: role.id, name: role.name }] : [];
  });
  return { ...userView(state.userOr404(userId)), organizationRoles };
}
