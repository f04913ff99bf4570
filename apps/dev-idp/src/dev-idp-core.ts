import type { Provider } from 'oidc-provider';

import type { DevIdpOptions } from './config/dev-idp-options';
import { MANAGEMENT_API_RESOURCE, MANAGEMENT_API_SCOPE } from './constants';
import { loadOrCreateSigningKey, type SigningKey } from './keys/signing-key-store';
import { ManagementState } from './management/management-state';
import { AppRegistry } from './oidc/app-registry';
import { createOidcProvider } from './oidc/create-provider';
import { ResourceCatalog } from './oidc/resource-catalog';
import { TokenMinter } from './oidc/token-minter';

/** Everything that issues tokens, shared by the server and the dev:token CLI so both sign identically. */
export interface DevIdpCore {
  issuer: string;
  signingKey: SigningKey;
  catalog: ResourceCatalog;
  registry: AppRegistry;
  /** The Management API's organizations, which the token endpoint consults for organization-scoped M2M tokens. */
  managementState: ManagementState;
  provider: Provider;
  minter: TokenMinter;
}

export async function createDevIdpCore(options: DevIdpOptions, endpoint: string): Promise<DevIdpCore> {
  const issuer = `${endpoint}/oidc`;
  const signingKey = await loadOrCreateSigningKey(options.dataDir);

  const catalog = new ResourceCatalog();
  // Logto seeds its Management API resource with the fixed ID "management-api" and the single scope "all".
  catalog.define(MANAGEMENT_API_RESOURCE, {
    id: 'management-api',
    name: 'Logto Management API',
    scopes: [MANAGEMENT_API_SCOPE],
  });
  catalog.define(options.apiResource);
  for (const resource of options.config.resources) {
    catalog.define(resource.indicator, resource);
  }

  const registry = new AppRegistry(catalog);
  for (const app of options.config.apps) {
    registry.register(app);
  }

  const managementState = new ManagementState(catalog, options.config.users);
  const provider = createOidcProvider({ issuer, signingKey, registry, catalog, organizations: managementState });
  return { issuer, signingKey, catalog, registry, managementState, provider, minter: new TokenMinter(provider, catalog) };
}
