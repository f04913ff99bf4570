import { MANAGEMENT_API_RESOURCE } from '../constants';
import { invalidInput, notExists, RequestError } from './request-error';
import { type Body, optionalString, requireBody, requiredString } from './input-guards';
import type { ManagementState } from './management-state';
import { paginate, parsePagination } from './pagination';
import type { RouteTable } from './route-table';

/**
 * API resources (those from `--api-resource`, the config file and app registrations, and those created here)
 * and their scopes, as core routes/resource.ts and resource.scope.ts: create → 201 (`scopes: []`), indicator
 * taken → 422 `resource.resource_identifier_in_use`, PATCH of the Management API → 400, scope names unique per
 * resource (422 `scope.name_exists`). `includeScopes=true` attaches each resource's scopes to the list.
 */
export function addResourceRoutes(routes: RouteTable, state: ManagementState): void {
  const { catalog } = state;
  const resourceOr404 = (id: string) => {
    const resource = catalog.findById(id);
    if (!resource) {
      throw new RequestError(404, 'entity.not_exists_with_id', `The resource with ID \`${id}\` does not exist.`, {
        name: 'resource',
        id,
      });
    }
    return resource;
  };

  routes.add('GET', '/resources', ({ url }) => {
    const pageRequest = parsePagination(url.searchParams, { optional: true });
    const includeScopes = ['true', '1', 'yes', 'y'].includes(url.searchParams.get('includeScopes')?.toLowerCase() ?? '');
    const resources = catalog.list().map((resource) => (includeScopes ? { ...resource, scopes: catalog.scopesOf(resource.id) } : resource));
    return paginate(resources, pageRequest, url);
  });

  routes.add('POST', '/resources', ({ body }) => {
    const input = requireBody(body);
    const name = requiredString(input, 'name', 128);
    const indicator = requiredString(input, 'indicator', 256);
    const accessTokenTtl = optionalTtl(input);
    if (catalog.findByIndicator(indicator)) {
      throw new RequestError(422, 'resource.resource_identifier_in_use', `The API identifier ${indicator} is already in use.`);
    }
    const resource = catalog.define(indicator, { name, ...(accessTokenTtl === undefined ? {} : { accessTokenTtl }) });
    return { status: 201, body: { ...resource, scopes: [] } };
  });

  routes.add('GET', '/resources/:id', ({ param }) => ({ status: 200, body: resourceOr404(param('id')) }));

  routes.add('PATCH', '/resources/:id', ({ param, body }) => {
    const resource = resourceOr404(param('id'));
    if (resource.indicator === MANAGEMENT_API_RESOURCE) {
      throw new RequestError(400, 'resource.cannot_modify_management_api', 'Cannot modify management API.');
    }
    // Logto's guard drops `indicator` and `isDefault` here (unknown keys are stripped, not refused).
    const input = requireBody(body);
    const accessTokenTtl = optionalTtl(input);
    const updated = catalog.update(resource.id, {
      ...(input.name === undefined ? {} : { name: requiredString(input, 'name', 128) }),
      ...(accessTokenTtl === undefined ? {} : { accessTokenTtl }),
    });
    return { status: 200, body: updated };
  });

  routes.add('GET', '/resources/:id/scopes', ({ param, url }) => {
    const pageRequest = parsePagination(url.searchParams, { optional: true });
    return paginate(catalog.scopesOf(resourceOr404(param('id')).id), pageRequest, url);
  });

  routes.add('POST', '/resources/:id/scopes', ({ param, body }) => {
    const resource = resourceOr404(param('id'));
    const input = requireBody(body);
    const name = requiredString(input, 'name', 256);
    if (/\s/.test(name)) {
      throw invalidInput('"name" must not contain whitespace');
    }
    if (catalog.scopesOf(resource.id).some((scope) => scope.name === name)) {
      throw new RequestError(422, 'scope.name_exists', `The scope name ${name} is already in use.`, { name });
    }
    const scope = catalog.addScope(resource.indicator, name, optionalString(input, 'description') ?? null);
    return { status: 201, body: scope };
  });

  routes.add('PATCH', '/resources/:id/scopes/:scopeId', ({ param, body }) => {
    const resource = resourceOr404(param('id'));
    const scopeId = param('scopeId');
    const input = requireBody(body);
    const name = optionalString(input, 'name', 256) ?? undefined;
    if (name !== undefined && (name.length === 0 || /\s/.test(name))) {
      throw invalidInput('"name" must be a non-empty string without whitespace');
    }
    if (name !== undefined && catalog.scopesOf(resource.id).some((scope) => scope.name === name && scope.id !== scopeId)) {
      throw new RequestError(422, 'scope.name_exists', `The scope name ${name} is already in use.`, { name });
    }
    const description = optionalString(input, 'description');
    const updated = catalog.updateScope(resource.id, scopeId, {
      ...(name === undefined ? {} : { name }),
      ...(description === undefined ? {} : { description }),
    });
    if (!updated) {
      throw notExists('scope');
    }
    return { status: 200, body: updated };
  });
}

function optionalTtl(input: Body): number | undefined {
  const value = input.accessTokenTtl;
  if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value <= 0)) {
    throw invalidInput('"accessTokenTtl" must be a positive integer (seconds)');
  }
  return value;
}
