import { randomBytes } from 'node:crypto';

// oidc-provider 9 is ESM-only. This file compiles to a plain require(), which Node >= 20.19 serves natively
// (require(esm)); only Jest's module VM cannot, which is why the dev IdP always runs as its own process.
import { errors, Provider, type Client, type KoaContextWithOidc, type ResourceServerInfo } from 'oidc-provider';

import { buildOrganizationUrn, DEFAULT_ACCESS_TOKEN_TTL_SECONDS, ORGANIZATION_URN_PREFIX, SIGNING_ALG } from '../constants';
import type { SigningKey } from '../keys/signing-key-store';
import type { AppRegistry } from './app-registry';
import { echoEmptyScope, keepScopeClaim, organizationIdClaim, requestedOrganizationId } from './logto-token-shape';
import { createRegistryAdapterFactory } from './registry-adapter';
import type { ResourceCatalog } from './resource-catalog';

export interface ProviderDependencies {
  issuer: string;
  signingKey: SigningKey;
  registry: AppRegistry;
  catalog: ResourceCatalog;
}

/** An oidc-provider configured like Logto's for what the product uses: JWT access tokens for API resources. */
export function createOidcProvider({ issuer, signingKey, registry, catalog }: ProviderDependencies): Provider {
  const resourceServerInfo = (indicator: string, client: Client): ResourceServerInfo => {
    const known = indicator.startsWith(ORGANIZATION_URN_PREFIX) || catalog.findByIndicator(indicator) !== undefined;
    if (!known) {
      throw new errors.InvalidTarget('resource indicator is missing, or unknown');
    }
    return jwtResourceServer(registry.allowedScopes(client.clientId, indicator), catalog.findByIndicator(indicator)?.accessTokenTtl);
  };

  const provider = new Provider(issuer, {
    adapter: createRegistryAdapterFactory(registry),
    jwks: { keys: [{ ...signingKey.privateJwk }] },
    enabledJWA: { idTokenSigningAlgValues: [SIGNING_ALG] },
    clientDefaults: { id_token_signed_response_alg: SIGNING_ALG },
    // Cookies only matter for interactive login, which the dev IdP does not offer.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    extraTokenClaims: organizationIdClaim,
    formats: { customizers: { jwt: keepScopeClaim } },
    ttl: {
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: defaultClientCredentialsResource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator, client) => resourceServerInfo(indicator, client),
      },
    },
  });
  provider.use(echoEmptyScope);
  return provider;
}

/** Resource-server settings that make oidc-provider issue Logto-shaped ES384 `at+jwt` access tokens. */
export function jwtResourceServer(scopes: readonly string[], accessTokenTtl?: number): ResourceServerInfo {
  return {
    scope: scopes.join(' '),
    accessTokenFormat: 'jwt',
    accessTokenTTL: accessTokenTtl ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    jwt: { sign: { alg: SIGNING_ALG } },
  };
}

/**
 * Logto's client_credentials needs a `resource` or an `organization_id` (the latter alone yields an organization
 * token); without either it answers invalid_target instead of issuing an opaque token.
 */
function defaultClientCredentialsResource(ctx: KoaContextWithOidc): string | undefined {
  if (ctx.oidc?.params?.grant_type !== 'client_credentials') {
    return undefined;
  }
  const organizationId = requestedOrganizationId(ctx);
  if (organizationId !== undefined) {
    return buildOrganizationUrn(organizationId);
  }
  throw new errors.InvalidTarget('both `resource` and `organization_id` are not provided');
}
