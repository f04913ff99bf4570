import type { TraditionalAppDefinition } from '../config/config-file';
import { MANAGEMENT_API_RESOURCE, MANAGEMENT_API_SCOPE } from '../constants';
import { generateStandardId } from '../ids';
import type { AppRegistry } from '../oidc/app-registry';
import type { ResourceCatalog } from '../oidc/resource-catalog';
import { TENANT_ID } from './management-state';
import { notExistsWithId } from './request-error';

export type RoleType = 'User' | 'MachineToMachine';

/** Logto's `Role` entity: a global (tenant-wide) role, for users or for machine-to-machine apps. */
export interface Role {
  tenantId: string;
  id: string;
  name: string;
  description: string;
  type: RoleType;
  isDefault: boolean;
}

export const APPLICATION_TYPES = ['Native', 'SPA', 'Traditional', 'MachineToMachine'] as const;
export type ApplicationType = (typeof APPLICATION_TYPES)[number];

export interface OidcClientMetadata {
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  [key: string]: unknown;
}

/** Logto's `Application` entity (the fields the dev IdP keeps). */
export interface Application {
  tenantId: string;
  id: string;
  name: string;
  secret: string;
  description: string | null;
  type: ApplicationType;
  oidcClientMetadata: OidcClientMetadata;
  customClientMetadata: Record<string, unknown>;
  protectedAppMetadata: null;
  customData: Record<string, unknown>;
  isThirdParty: boolean;
  createdAt: number;
}

/** Logto's `ApplicationSecret` (packages/schemas/tables/application_secrets.sql). */
export interface ApplicationSecret {
  tenantId: string;
  applicationId: string;
  name: string;
  value: string;
  createdAt: number;
  /** Epoch milliseconds; null: never expires. */
  expiresAt: number | null;
}

/** Logto seeds this machine-to-machine role holding the Management API's `all` scope (schemas seeds/management-api.ts). */
const MANAGEMENT_API_ACCESS_ROLE = 'Logto Management API access';

/**
 * Global roles (user and machine-to-machine), their API-resource scopes, applications and the M2M apps' roles.
 * Machine-to-machine apps created here are registered with the token endpoint; what they may obtain by
 * `client_credentials` follows their roles, as in Logto, and is re-derived whenever a role or its scopes change.
 */
export class AccessState {
  readonly roles = new Map<string, Role>();
  /** roleId → resource scope IDs, in insertion order. */
  readonly roleScopes = new Map<string, Set<string>>();
  readonly applications = new Map<string, Application>();
  /** applicationId → role IDs. */
  readonly applicationRoles = new Map<string, Set<string>>();
  /** applicationId → its secrets, in creation order (Logto's `application_secrets` rows). */
  readonly secrets = new Map<string, ApplicationSecret[]>();

  constructor(
    readonly catalog: ResourceCatalog,
    private readonly registry: AppRegistry | undefined,
  ) {}

  /** Logto's seeded "Logto Management API access" role with the Management API's `all` scope, unless it exists. */
  seedManagementApiAccessRole(): void {
    if ([...this.roles.values()].some((role) => role.name === MANAGEMENT_API_ACCESS_ROLE)) {
      return;
    }
    const all = this.catalog.scopesOf(this.catalog.findByIndicator(MANAGEMENT_API_RESOURCE)?.id ?? '').find((scope) => scope.name === MANAGEMENT_API_SCOPE);
    const seeded = this.addRole({
      name: MANAGEMENT_API_ACCESS_ROLE,
      description: 'This default role grants access to the Logto management API.',
      type: 'MachineToMachine',
      isDefault: false,
    });
    if (all) {
      this.roleScopes.set(seeded.id, new Set([all.id]));
    }
  }

  /**
   * The config file's Traditional apps, as if created in Logto's console: the fixed client ID, the fixed secret as
   * the internal one and as the listed `Default secret`. Created when missing; their URIs always follow the config
   * (a port chosen at start may differ from the last one).
   */
  seedTraditionalApps(definitions: readonly TraditionalAppDefinition[]): void {
    for (const definition of definitions) {
      const existing = this.applications.get(definition.clientId);
      const oidcClientMetadata = { redirectUris: [...definition.redirectUris], postLogoutRedirectUris: [...definition.postLogoutRedirectUris] };
      if (existing !== undefined) {
        existing.oidcClientMetadata = { ...existing.oidcClientMetadata, ...oidcClientMetadata };
        continue;
      }
      const now = Date.now();
      this.applications.set(definition.clientId, {
        tenantId: TENANT_ID,
        id: definition.clientId,
        name: definition.name,
        secret: definition.clientSecret,
        description: null,
        type: 'Traditional',
        oidcClientMetadata,
        customClientMetadata: {},
        protectedAppMetadata: null,
        customData: {},
        isThirdParty: false,
        createdAt: now,
      });
      this.secrets.set(definition.clientId, [
        { tenantId: TENANT_ID, applicationId: definition.clientId, name: 'Default secret', value: definition.clientSecret, createdAt: now, expiresAt: null },
      ]);
    }
  }

  addRole(input: Omit<Role, 'tenantId' | 'id'>): Role {
    const role: Role = { tenantId: TENANT_ID, id: generateStandardId(), ...input };
    this.roles.set(role.id, role);
    this.roleScopes.set(role.id, new Set());
    return role;
  }

  roleOr404(id: string): Role {
    const role = this.roles.get(id);
    if (!role) {
      throw notExistsWithId('role', id);
    }
    return role;
  }

  applicationOr404(id: string): Application {
    const application = this.applications.get(id);
    if (!application) {
      throw notExistsWithId('application', id);
    }
    return application;
  }

  rolesOfApplication(applicationId: string): Set<string> {
    let roleIds = this.applicationRoles.get(applicationId);
    if (!roleIds) {
      roleIds = new Set();
      this.applicationRoles.set(applicationId, roleIds);
    }
    return roleIds;
  }

  /**
   * Logto's `findByCredentials` (core queries/application-secrets.ts): the secret row of this application with
   * exactly this value, whichever its name; undefined when none.
   */
  findSecretByCredentials(applicationId: string, value: string): ApplicationSecret | undefined {
    return this.secrets.get(applicationId)?.find((secret) => secret.value === value);
  }

  /**
   * oidc-provider client metadata of an interactive application (Traditional, SPA, Native), as Logto builds it
   * (core src/oidc/adapter.ts `transpileClient` with src/oidc/utils.ts `getConstantClientMetadata`): Traditional
   * apps are confidential (`client_secret_basic`; oidc-provider takes the secret in the form body too), SPA and
   * Native apps public (`none`); grant types authorization_code and refresh_token; the redirect and post-logout
   * URIs of `oidcClientMetadata`. Undefined for machine-to-machine apps (the app registry serves those) and
   * unknown IDs.
   */
  interactiveClientMetadata(id: string): Record<string, unknown> | undefined {
    const application = this.applications.get(id);
    if (application === undefined || application.type === 'MachineToMachine') {
      return undefined;
    }
    return {
      client_id: application.id,
      client_secret: application.secret,
      client_name: application.name,
      application_type: application.type === 'Native' ? 'native' : 'web',
      token_endpoint_auth_method: application.type === 'Traditional' ? 'client_secret_basic' : 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: application.oidcClientMetadata.redirectUris,
      post_logout_redirect_uris: application.oidcClientMetadata.postLogoutRedirectUris,
    };
  }

  /** Re-registers every machine-to-machine app with the scopes its roles grant, per resource indicator. */
  syncGrants(): void {
    if (!this.registry) {
      return;
    }
    for (const application of this.applications.values()) {
      if (application.type !== 'MachineToMachine') {
        continue;
      }
      const scopesByResource: Record<string, string[]> = {};
      for (const roleId of this.rolesOfApplication(application.id)) {
        for (const scopeId of this.roleScopes.get(roleId) ?? []) {
          const scope = this.catalog.findScopeById(scopeId);
          const resource = scope && this.catalog.findById(scope.resourceId);
          if (scope && resource) {
            (scopesByResource[resource.indicator] ??= []).push(scope.name);
          }
        }
      }
      this.registry.register({ clientId: application.id, clientSecret: application.secret, name: application.name, scopesByResource });
    }
  }
}
