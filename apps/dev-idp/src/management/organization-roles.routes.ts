import { generateStandardId } from '../ids';
import { optionalString, requireBody, requiredString, stringArray } from './input-guards';
import { type ManagementState, matchesSearch, type OrganizationRole, TENANT_ID } from './management-state';
import { paginate, parsePagination } from './pagination';
import { foreignKeyNotFound, invalidInput, notExists, notFound, uniqueViolation } from './request-error';
import type { RouteTable } from './route-table';

/** `/organization-roles` and their API-resource scopes, as core routes/organization-role/index.ts. */
export function addOrganizationRoleRoutes(routes: RouteTable, state: ManagementState): void {
  const requireKnownScopes = (scopeIds: readonly string[]): void => {
    if (scopeIds.some((scopeId) => !state.catalog.findScopeById(scopeId))) {
      throw foreignKeyNotFound();
    }
  };

  routes.add('GET', '/organization-roles', ({ url }) => {
    const pageRequest = parsePagination(url.searchParams);
    const q = url.searchParams.get('q');
    const roles = [...state.roles.values()]
      .filter((role) => matchesSearch(q, [role.id, role.name, role.description]))
      .map((role) => state.roleWithScopes(role));
    return paginate(roles, pageRequest, url);
  });

  routes.add('POST', '/organization-roles', ({ body }) => {
    const input = requireBody(body);
    const name = requiredString(input, 'name', 128);
    const type = input.type ?? 'User';
    if (type !== 'User' && type !== 'MachineToMachine') {
      throw invalidInput('"type" must be "User" or "MachineToMachine"');
    }
    const organizationScopeIds = stringArray(input, 'organizationScopeIds', { required: false, nonEmpty: false });
    const resourceScopeIds = stringArray(input, 'resourceScopeIds', { required: false, nonEmpty: false });
    // Role names are unique per tenant (organization_roles__name).
    if ([...state.roles.values()].some((role) => role.name === name)) {
      throw uniqueViolation();
    }
    // The dev IdP has no organization (template) scopes, so any organization scope ID is unknown.
    if (organizationScopeIds.length > 0) {
      throw foreignKeyNotFound();
    }
    requireKnownScopes(resourceScopeIds);
    const role: OrganizationRole = {
      tenantId: TENANT_ID,
      id: generateStandardId(),
      name,
      description: optionalString(input, 'description') ?? null,
      type,
    };
    state.roles.set(role.id, role);
    state.roleResourceScopes.set(role.id, new Set(resourceScopeIds));
    return { status: 201, body: role };
  });

  routes.add('GET', '/organization-roles/:id', ({ param }) => ({ status: 200, body: state.roleOr404(param('id')) }));

  routes.add('PATCH', '/organization-roles/:id', ({ param, body }) => {
    const current = state.roles.get(param('id'));
    if (!current) {
      throw notExists('organization role');
    }
    const input = requireBody(body);
    const updated: OrganizationRole = { ...current };
    if (input.name !== undefined) {
      updated.name = requiredString(input, 'name', 128);
      if ([...state.roles.values()].some((role) => role.name === updated.name && role.id !== current.id)) {
        throw uniqueViolation();
      }
    }
    const description = optionalString(input, 'description');
    if (description !== undefined) {
      updated.description = description;
    }
    state.roles.set(updated.id, updated);
    return { status: 200, body: updated };
  });

  routes.add('GET', '/organization-roles/:id/resource-scopes', ({ param, url }) => {
    const pageRequest = parsePagination(url.searchParams, { optional: true });
    const role = state.roleOr404(param('id'));
    const scopes = [...(state.roleResourceScopes.get(role.id) ?? [])].flatMap((scopeId) => {
      const scope = state.catalog.findScopeById(scopeId);
      return scope ? [scope] : [];
    });
    return paginate(scopes, pageRequest, url);
  });

  routes.add('POST', '/organization-roles/:id/resource-scopes', ({ param, body }) => {
    const roleId = param('id');
    const scopeIds = stringArray(requireBody(body), 'scopeIds');
    if (!state.roles.has(roleId)) {
      throw foreignKeyNotFound();
    }
    requireKnownScopes(scopeIds);
    const assigned = state.roleResourceScopes.get(roleId) ?? new Set<string>();
    scopeIds.forEach((scopeId) => assigned.add(scopeId));
    state.roleResourceScopes.set(roleId, assigned);
    return { status: 201 };
  });

  routes.add('PUT', '/organization-roles/:id/resource-scopes', ({ param, body }) => {
    const roleId = param('id');
    const scopeIds = stringArray(requireBody(body), 'scopeIds', { nonEmpty: false });
    if (!state.roles.has(roleId)) {
      throw foreignKeyNotFound();
    }
    requireKnownScopes(scopeIds);
    state.roleResourceScopes.set(roleId, new Set(scopeIds));
    return { status: 204 };
  });

  routes.add('DELETE', '/organization-roles/:id/resource-scopes/:scopeId', ({ param }) => {
    if (!state.roleResourceScopes.get(param('id'))?.delete(param('scopeId'))) {
      throw notFound();
    }
    return { status: 204 };
  });
}
