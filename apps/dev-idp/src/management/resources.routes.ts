import { invalidInput, RequestError } from './request-error';
import { optionalString, requireBody, requiredString } from './input-guards';
import type { ManagementState } from './management-state';
import { paginate, parsePagination } from './pagination';
import type { RouteTable } from './route-table';

/**
 * Read access to the API resources the provider knows (from `--api-resource`, the config file and app
 * registrations) plus adding scopes, so organization roles can be given resource scopes by ID as with Logto.
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

  routes.add('GET', '/resources', ({ url }) =>
    paginate(catalog.list(), parsePagination(url.searchParams, { optional: true }), url),
  );

  routes.add('GET', '/resources/:id', ({ param }) => ({ status: 200, body: resourceOr404(param('id')) }));

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
}
