import { MANAGEMENT_API_RESOURCE } from '../constants';
import type { AccessState, Role, RoleType } from './access-state';
import { type Body, optionalBoolean, requireBody, requiredString, stringArray } from './input-guards';
import { matchesSearch } from './management-state';
import { paginate, parsePagination } from './pagination';
import { invalidInput, notExistsWithId, notFound, RequestError } from './request-error';
import type { RouteTable } from './route-table';

const ROLE_TYPES: readonly RoleType[] = ['User', 'MachineToMachine'];

/**
 * Global roles and their API-resource scopes, as core routes/role.ts and routes/role.scope.ts: list paginated
 * (`page`, `page_size`, `type`, `excludeApplicationId`, `search`), create → 200, name conflicts → 422
 * `role.name_in_use`, scopes already on the role → 422 `role.scope_exists`.
 */
export function addRoleRoutes(routes: RouteTable, access: AccessState): void {
  const { catalog } = access;

  /** Every scope exists (404 otherwise) and a user role never receives a Management API scope (400). */
  const validateScopeAssignment = (role: Pick<Role, 'type'>, scopeIds: readonly string[]): void => {
    for (const scopeId of scopeIds) {
      const scope = catalog.findScopeById(scopeId);
      if (!scope) {
        throw notExistsWithId('scope', scopeId);
      }
      if (role.type === 'User' && catalog.findById(scope.resourceId)?.indicator === MANAGEMENT_API_RESOURCE) {
        throw new RequestError(400, 'role.management_api_scopes_not_assignable_to_user_role', 'Cannot assign management API scopes to a user role.');
      }
    }
  };

  const nameInUse = (name: string, exceptId?: string): boolean =>
    [...access.roles.values()].some((role) => role.name === name && role.id !== exceptId);

  const scopesWithResource = (roleId: string) =>
    [...(access.roleScopes.get(roleId) ?? [])].flatMap((scopeId) => {
      const scope = catalog.findScopeById(scopeId);
      const resource = scope && catalog.findById(scope.resourceId);
      return scope && resource ? [{ ...scope, resource }] : [];
    });

  routes.add('GET', '/roles', ({ url }) => {
    const pageRequest = parsePagination(url.searchParams);
    const type = url.searchParams.get('type');
    if (type !== null && !ROLE_TYPES.includes(type as RoleType)) {
      throw invalidInput('"type" must be "User" or "MachineToMachine"');
    }
    const excludeApplicationId = url.searchParams.get('excludeApplicationId');
    const excluded = excludeApplicationId ? access.rolesOfApplication(excludeApplicationId) : new Set<string>();
    const search = searchTerm(url.searchParams);
    const roles = [...access.roles.values()]
      .filter((role) => (type === null || role.type === type) && !excluded.has(role.id))
      .filter((role) => matchesSearch(search, [role.id, role.name, role.description]))
      .map((role) => {
        const applications = [...access.applications.values()].filter((app) => access.rolesOfApplication(app.id).has(role.id));
        return {
          ...role,
          usersCount: 0,
          featuredUsers: [],
          applicationsCount: applications.length,
          featuredApplications: applications.slice(0, 3).map(({ id, name, type: appType }) => ({ id, name, type: appType })),
        };
      });
    return paginate(roles, pageRequest, url);
  });

  routes.add('POST', '/roles', ({ body }) => {
    const input = requireBody(body);
    const name = requiredString(input, 'name', 128);
    const description = requiredDescription(input);
    const type = input.type ?? 'User';
    if (!ROLE_TYPES.includes(type as RoleType)) {
      throw invalidInput('"type" must be "User" or "MachineToMachine"');
    }
    const scopeIds = input.scopeIds === undefined ? [] : stringArray(input, 'scopeIds', { nonEmpty: false });
    if (nameInUse(name)) {
      throw new RequestError(422, 'role.name_in_use', `This role name ${name} is already in use`);
    }
    validateScopeAssignment({ type: type as RoleType }, scopeIds);
    const role = access.addRole({ name, description, type: type as RoleType, isDefault: optionalBoolean(input, 'isDefault') ?? false });
    access.roleScopes.set(role.id, new Set(scopeIds));
    access.syncGrants();
    return { status: 200, body: role };
  });

  routes.add('GET', '/roles/:id', ({ param }) => ({ status: 200, body: access.roleOr404(param('id')) }));

  routes.add('PATCH', '/roles/:id', ({ param, body }) => {
    const role = access.roleOr404(param('id'));
    const input = requireBody(body);
    const patch: Partial<Role> = {};
    if (input.name !== undefined) {
      patch.name = requiredString(input, 'name', 128);
      if (nameInUse(patch.name, role.id)) {
        throw new RequestError(422, 'role.name_in_use', `This role name ${patch.name} is already in use`);
      }
    }
    if (input.description !== undefined) {
      patch.description = requiredDescription(input);
    }
    const isDefault = optionalBoolean(input, 'isDefault');
    if (isDefault !== undefined) {
      patch.isDefault = isDefault;
    }
    const updated = { ...role, ...patch };
    access.roles.set(role.id, updated);
    return { status: 200, body: updated };
  });

  routes.add('GET', '/roles/:id/scopes', ({ param, url }) => {
    const pageRequest = parsePagination(url.searchParams, { optional: true });
    const role = access.roleOr404(param('id'));
    const search = searchTerm(url.searchParams);
    const scopes = scopesWithResource(role.id).filter((scope) => matchesSearch(search, [scope.id, scope.name, scope.description]));
    return paginate(scopes, pageRequest, url);
  });

  routes.add('POST', '/roles/:id/scopes', ({ param, body }) => {
    const role = access.roleOr404(param('id'));
    const scopeIds = stringArray(requireBody(body), 'scopeIds');
    const assigned = access.roleScopes.get(role.id) ?? new Set<string>();
    const duplicate = scopeIds.find((scopeId) => assigned.has(scopeId));
    if (duplicate !== undefined) {
      throw new RequestError(422, 'role.scope_exists', `The scope id ${duplicate} has already been added to this role`);
    }
    validateScopeAssignment(role, scopeIds);
    scopeIds.forEach((scopeId) => assigned.add(scopeId));
    access.roleScopes.set(role.id, assigned);
    access.syncGrants();
    // Logto answers with every scope the role now holds (plain scopes, without their resource).
    return { status: 200, body: [...assigned].flatMap((scopeId) => catalog.findScopeById(scopeId) ?? []) };
  });

  routes.add('DELETE', '/roles/:id/scopes/:scopeId', ({ param }) => {
    const role = access.roleOr404(param('id'));
    if (!access.roleScopes.get(role.id)?.delete(param('scopeId'))) {
      throw notFound();
    }
    access.syncGrants();
    return { status: 204 };
  });
}

/** Logto's `description` of a role: required, at most 128 characters (may be empty). */
function requiredDescription(input: Body): string {
  const value = input.description;
  if (typeof value !== 'string' || value.length > 128) {
    throw invalidInput('"description" must be a string of at most 128 characters');
  }
  return value;
}

/**
 * Logto's `search` / `search.<field>` query parameters (core utils/search.ts), reduced to a case-insensitive
 * substring match: `%` wildcards are dropped.
 */
export function searchTerm(query: URLSearchParams): string | null {
  for (const [key, value] of query) {
    if ((key === 'search' || key.startsWith('search.')) && value !== '') {
      return value.replaceAll('%', '');
    }
  }
  return null;
}
