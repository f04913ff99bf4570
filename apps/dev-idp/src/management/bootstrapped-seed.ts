import { API_RESOURCE_NAME, API_SCOPES, GLOBAL_ROLES, ORGANIZATION_ROLES } from '../../../../scripts/logto-bootstrap/desired-state';
import { generateStandardId } from '../ids';
import type { ResourceCatalog } from '../oidc/resource-catalog';
import type { AccessState } from './access-state';
import { type ManagementState, TENANT_ID } from './management-state';

/**
 * Makes the dev IdP look like a Logto that `npm run logto:bootstrap` has run against: this API's resource with its
 * scopes, the organization roles (owner, admin, member, tenant-automation) and the global roles, all read from the
 * bootstrap's own desired state so the two cannot drift. Only what is missing is added (by indicator, scope name
 * and role name), so a saved state and changes made through the Management API are kept across restarts.
 */
export function seedAsBootstrapped(apiResource: string, catalog: ResourceCatalog, state: ManagementState, access: AccessState): void {
  const resource = catalog.findByIndicator(apiResource) ?? catalog.define(apiResource, { name: API_RESOURCE_NAME });
  const scopeIds = new Map(API_SCOPES.map(({ name, description }) => [name, catalog.addScope(resource.indicator, name, description).id]));
  const idsOf = (names: readonly string[]): string[] => names.flatMap((name) => scopeIds.get(name) ?? []);

  for (const spec of ORGANIZATION_ROLES) {
    if ([...state.roles.values()].some((role) => role.name === spec.name)) {
      continue;
    }
    const id = generateStandardId();
    state.roles.set(id, { tenantId: TENANT_ID, id, name: spec.name, description: spec.description, type: spec.type });
    state.roleResourceScopes.set(id, new Set(idsOf(spec.scopes)));
  }
  for (const spec of GLOBAL_ROLES) {
    if ([...access.roles.values()].some((role) => role.name === spec.name)) {
      continue;
    }
    const role = access.addRole({ name: spec.name, description: spec.description, type: spec.type, isDefault: false });
    access.roleScopes.set(role.id, new Set(idsOf(spec.scopes)));
  }
}
