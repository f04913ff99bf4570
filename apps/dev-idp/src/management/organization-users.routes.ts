import { requireBody, stringArray } from './input-guards';
import { type ManagementState, matchesSearch } from './management-state';
import { paginate, parsePagination } from './pagination';
import { foreignKeyNotFound, notFound } from './request-error';
import type { RouteTable } from './route-table';

/** Organization membership, as core routes/organization/user/index.ts. */
export function addOrganizationUserRoutes(routes: RouteTable, state: ManagementState): void {
  routes.add('GET', '/organizations/:id/users', ({ param, url }) => {
    const organizationId = param('id');
    const pageRequest = parsePagination(url.searchParams);
    state.organizationOr404(organizationId);
    const q = url.searchParams.get('q');
    const roleFilter = url.searchParams.get('organizationRoleId');
    const users = [...state.membersOf(organizationId)]
      .filter((userId) => matchesSearch(q, [userId]))
      .filter((userId) => !roleFilter || state.rolesOfMember(organizationId, userId).has(roleFilter))
      .map((userId) => memberView(state, organizationId, userId));
    return paginate(users, pageRequest, url);
  });

  routes.add('POST', '/organizations/:id/users', ({ param, body }) => {
    const organizationId = param('id');
    const userIds = stringArray(requireBody(body), 'userIds');
    // An unknown organization is a foreign-key violation in Logto's relation insert, hence 422 rather than 404.
    if (!state.organizations.has(organizationId)) {
      throw foreignKeyNotFound();
    }
    for (const userId of userIds) {
      state.addMember(organizationId, userId);
    }
    return { status: 201, body: { userIds } };
  });

  routes.add('PUT', '/organizations/:id/users', ({ param, body }) => {
    const organizationId = param('id');
    const userIds = stringArray(requireBody(body), 'userIds', { nonEmpty: false });
    if (!state.organizations.has(organizationId)) {
      throw foreignKeyNotFound();
    }
    for (const userId of [...state.membersOf(organizationId)]) {
      if (!userIds.includes(userId)) {
        state.removeMember(organizationId, userId);
      }
    }
    for (const userId of userIds) {
      state.addMember(organizationId, userId);
    }
    return { status: 204 };
  });

  routes.add('DELETE', '/organizations/:id/users/:userId', ({ param }) => {
    if (!state.removeMember(param('id'), param('userId'))) {
      throw notFound();
    }
    return { status: 204 };
  });
}

/** Logto's user response fields; users are implicit here, so profile fields are empty. */
function memberView(state: ManagementState, organizationId: string, userId: string): Record<string, unknown> {
  const seenAt = state.userSeenAt.get(userId) ?? Date.now();
  const organizationRoles = [...state.rolesOfMember(organizationId, userId)].flatMap((roleId) => {
    const role = state.roles.get(roleId);
    return role ? [{ id: role.id, name: role.name }] : [];
  });
  return {
    id: userId,
    username: null,
    primaryEmail: null,
    primaryPhone: null,
    name: null,
    avatar: null,
    customData: {},
    identities: {},
    profile: {},
    applicationId: null,
    isSuspended: false,
    lastSignInAt: null,
    createdAt: seenAt,
    updatedAt: seenAt,
    organizationRoles,
  };
}
