import { generateSecret, generateStandardId } from '../ids';
import {
  type AccessState,
  type Application,
  type ApplicationSecret,
  APPLICATION_TYPES,
  type ApplicationType,
  type OidcClientMetadata,
} from './access-state';
import { type Body, optionalBoolean, optionalObject, optionalString, requireBody, requiredString } from './input-guards';
import { matchesSearch, TENANT_ID } from './management-state';
import { paginate, parsePagination } from './pagination';
import { invalidInput, notExists, RequestError } from './request-error';
import { searchTerm } from './roles.routes';
import type { RouteTable } from './route-table';

/** The secret Logto creates with an app (packages/schemas/src/consts/application.ts `defaultApplicationSecretName`). */
const DEFAULT_SECRET_NAME = 'Default secret';

/** Logto's `hasSecrets` (packages/schemas/src/utils/application.ts), for the application types the dev IdP has. */
const hasSecrets = (type: ApplicationType): boolean => type === 'MachineToMachine' || type === 'Traditional';

/**
 * An application as Logto 1.42 answers it everywhere (list, create, get, PATCH): without `secret`. Logto keeps an
 * internal secret there that is no credential to hand out (core routes/applications/application-response.ts
 * `omitInternalApplicationSecret`); the usable secrets come from `/applications/:id/secrets`.
 */
const withoutSecret = ({ secret: _internal, ...application }: Application): Omit<Application, 'secret'> => application;

/**
 * Applications, as core routes/applications/application.ts, application-role.ts and application-secret.ts:
 * list (pagination optional; `types`, `excludeRoleId`, `isThirdParty`, `search`), create → 200 without a secret,
 * get (+ `isAdmin`), PATCH (jsonb fields merged), M2M roles (201 `{ roleIds, addedRoleIds }`, 422
 * `application.invalid_type` / `application.invalid_role_type`) and the secrets (list, create).
 *
 * The token endpoint accepts every listed secret of an app, as Logto's (see oidc/app-secrets.ts); `Application.secret`
 * is the internal one oidc-provider knows, never answered.
 */
export function addApplicationRoutes(routes: RouteTable, access: AccessState): void {
  const { secrets } = access;

  const requireMachineToMachine = (application: Application): void => {
    if (application.type !== 'MachineToMachine') {
      throw new RequestError(422, 'application.invalid_type', 'Only machine to machine applications can have associated roles.');
    }
  };

  const addSecret = (application: Application, name: string, expiresAt: number | null): ApplicationSecret => {
    // Logto's check constraint `application_type` on application_secrets and its primary key (application, name),
    // mapped to these codes by core middleware/koa-slonik-error-handler.ts.
    if (!hasSecrets(application.type)) {
      throw new RequestError(422, 'entity.db_constraint_violated', 'Database constraint violated.');
    }
    const list = secrets.get(application.id) ?? [];
    if (list.some((secret) => secret.name === name)) {
      throw new RequestError(422, 'application.secret_name_exists', 'Secret name already exists.');
    }
    const secret: ApplicationSecret = {
      tenantId: TENANT_ID,
      applicationId: application.id,
      name,
      value: generateSecret(),
      createdAt: Date.now(),
      expiresAt,
    };
    secrets.set(application.id, [...list, secret]);
    return secret;
  };

  routes.add('GET', '/applications', ({ url }) => {
    const pageRequest = parsePagination(url.searchParams, { optional: true });
    const types = url.searchParams.getAll('types');
    if (types.some((type) => !APPLICATION_TYPES.includes(type as ApplicationType))) {
      throw invalidInput(`"types" must be one of ${APPLICATION_TYPES.join(', ')}`);
    }
    const excludeRoleId = url.searchParams.get('excludeRoleId');
    const isThirdParty = url.searchParams.get('isThirdParty');
    const search = searchTerm(url.searchParams);
    const applications = [...access.applications.values()]
      .filter((app) => types.length === 0 || types.includes(app.type))
      .filter((app) => !excludeRoleId || !access.rolesOfApplication(app.id).has(excludeRoleId))
      .filter((app) => isThirdParty === null || String(app.isThirdParty) === isThirdParty)
      .filter((app) => matchesSearch(search, [app.id, app.name, app.description]))
      .map(withoutSecret);
    return paginate(applications, pageRequest, url);
  });

  routes.add('POST', '/applications', ({ body }) => {
    const input = requireBody(body);
    const type = input.type;
    if (!APPLICATION_TYPES.includes(type as ApplicationType)) {
      throw invalidInput(`"type" must be one of ${APPLICATION_TYPES.join(', ')} (the dev IdP has no Protected or SAML apps)`);
    }
    const application: Application = {
      tenantId: TENANT_ID,
      id: generateStandardId(),
      name: requiredString(input, 'name', 256),
      // The internal secret (Logto: `internal:` + a standard secret); no credential anyone is given.
      secret: generateSecret(),
      description: optionalString(input, 'description') ?? null,
      type: type as ApplicationType,
      oidcClientMetadata: clientMetadata(input, { redirectUris: [], postLogoutRedirectUris: [] }) ?? { redirectUris: [], postLogoutRedirectUris: [] },
      customClientMetadata: optionalObject(input, 'customClientMetadata') ?? {},
      protectedAppMetadata: null,
      customData: optionalObject(input, 'customData') ?? {},
      isThirdParty: optionalBoolean(input, 'isThirdParty') ?? false,
      createdAt: Date.now(),
    };
    // Logto inserts the `Default secret` with the app (core routes/applications/application.ts, POST).
    if (hasSecrets(application.type)) {
      addSecret(application, DEFAULT_SECRET_NAME, null);
    }
    access.applications.set(application.id, application);
    access.syncGrants();
    return { status: 200, body: withoutSecret(application) };
  });

  routes.add('GET', '/applications/:id', ({ param }) => ({
    status: 200,
    body: { ...withoutSecret(access.applicationOr404(param('id'))), isAdmin: false },
  }));

  routes.add('PATCH', '/applications/:id', ({ param, body }) => {
    const current = access.applications.get(param('id'));
    if (!current) {
      throw notExists('application');
    }
    const input = requireBody(body);
    const updated: Application = { ...current };
    if (input.name !== undefined) {
      updated.name = requiredString(input, 'name', 256);
    }
    const description = optionalString(input, 'description');
    if (description !== undefined) {
      updated.description = description;
    }
    // Logto updates applications with jsonb mode `merge`: top-level keys of the given object replace the stored ones.
    updated.oidcClientMetadata = clientMetadata(input, current.oidcClientMetadata) ?? current.oidcClientMetadata;
    updated.customClientMetadata = { ...current.customClientMetadata, ...optionalObject(input, 'customClientMetadata') };
    updated.customData = { ...current.customData, ...optionalObject(input, 'customData') };
    access.applications.set(updated.id, updated);
    access.syncGrants();
    return { status: 200, body: withoutSecret(updated) };
  });

  routes.add('GET', '/applications/:id/secrets', ({ param }) => {
    const application = access.applicationOr404(param('id'));
    return { status: 200, body: secrets.get(application.id) ?? [] };
  });

  // core routes/applications/application-secret.ts (POST): body { name (1..256), expiresAt? }, an `expiresAt` in the
  // past → 400 `request.invalid_input` (checked before the app, and a falsy one counts as none, as there), then the app
  // (404), then the row → 201.
  routes.add('POST', '/applications/:id/secrets', ({ param, body }) => {
    const input = requireBody(body);
    const name = requiredString(input, 'name', 256);
    const expiresAt = optionalTimestamp(input, 'expiresAt');
    if (expiresAt && expiresAt <= Date.now()) {
      throw new RequestError(400, 'request.invalid_input', 'Input is invalid. The value of `expiresAt` must be in the future.');
    }
    const application = access.applicationOr404(param('id'));
    return { status: 201, body: addSecret(application, name, expiresAt) };
  });

  routes.add('GET', '/applications/:id/roles', ({ param, url }) => {
    const pageRequest = parsePagination(url.searchParams);
    const application = access.applicationOr404(param('id'));
    requireMachineToMachine(application);
    const search = searchTerm(url.searchParams);
    const roles = [...access.rolesOfApplication(application.id)].flatMap((roleId) => {
      const role = access.roles.get(roleId);
      return role && role.type === 'MachineToMachine' && matchesSearch(search, [role.id, role.name, role.description]) ? [role] : [];
    });
    return paginate(roles, pageRequest, url);
  });

  routes.add('POST', '/applications/:id/roles', ({ param, body }) => {
    const application = access.applicationOr404(param('id'));
    const roleIds = roleIdList(requireBody(body));
    requireMachineToMachine(application);
    const assigned = access.rolesOfApplication(application.id);
    const addedRoleIds = roleIds.filter((roleId) => !assigned.has(roleId));
    // A User-type role never reaches an application; checked before unknown role IDs answer 404, as in Logto.
    for (const roleId of addedRoleIds) {
      const role = access.roles.get(roleId);
      if (role && role.type !== 'MachineToMachine') {
        throw new RequestError(422, 'application.invalid_role_type', 'Can not assign user type role to machine to machine application.');
      }
    }
    addedRoleIds.forEach((roleId) => access.roleOr404(roleId));
    addedRoleIds.forEach((roleId) => assigned.add(roleId));
    access.syncGrants();
    return { status: 201, body: { roleIds, addedRoleIds } };
  });

  routes.add('DELETE', '/applications/:id/roles/:roleId', ({ param }) => {
    const application = access.applicationOr404(param('id'));
    requireMachineToMachine(application);
    access.rolesOfApplication(application.id).delete(param('roleId'));
    access.syncGrants();
    return { status: 204 };
  });
}

/** Epoch milliseconds or null/absent (null), as Logto's `z.number().nullable().optional()` timestamp columns. */
function optionalTimestamp(input: Body, key: string): number | null {
  const value = input[key];
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw invalidInput(`"${key}" must be a number (epoch milliseconds) or null`);
  }
  return value;
}

function roleIdList(input: Body): string[] {
  const value = input.roleIds;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
    throw invalidInput('"roleIds" must be an array of non-empty strings');
  }
  return [...new Set(value as string[])];
}

/** `oidcClientMetadata` of the body merged over `base`, with Logto's check that redirect URIs are absolute URLs. */
function clientMetadata(input: Body, base: OidcClientMetadata): OidcClientMetadata | undefined {
  const given = optionalObject(input, 'oidcClientMetadata');
  if (given === undefined) {
    return undefined;
  }
  const merged = { ...base, ...given };
  for (const key of ['redirectUris', 'postLogoutRedirectUris'] as const) {
    const uris: unknown = merged[key] ?? [];
    if (!Array.isArray(uris) || !uris.every((uri) => typeof uri === 'string' && URL.canParse(uri))) {
      throw invalidInput(`"oidcClientMetadata.${key}" must be an array of absolute URLs`);
    }
    merged[key] = uris as string[];
  }
  return merged;
}
