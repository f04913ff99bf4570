import { randomBytes } from 'node:crypto';

// oidc-provider 9 is ESM-only. loadOidcProvider() require()s it, which Node >= 20.19 serves natively
// (require(esm)); only Jest's module VM cannot, which is why the dev IdP always runs as its own process.
import type { Client, KoaContextWithOidc, Provider as OidcProvider, ResourceServerInfo } from 'oidc-provider';

import { buildOrganizationUrn, DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from '../constants';
import type { SigningKey } from '../keys/signing-key-store';
import type { AppRegistry } from './app-registry';
import { acceptApplicationSecrets, type ApplicationSecretLookup } from './app-secrets';
import { organizationIdClaim, requestedOrganizationId, scopeClaimAsLogto, scopeInTokenResponseAsLogto } from './logto-token-shape';
import { loadOidcProvider } from './oidc-provider-module';
import { createRegistryAdapterFactory } from './registry-adapter';
import type { ResourceCatalog } from './resource-catalog';

const { errors, Provider } = loadOidcProvider();
type Provider = OidcProvider;

/**
 * What the token endpoint asks about machine-to-machine applications in organizations (Logto's
 * organization_application_relations and organization_role_application_relations), answered by the Management
 * API's state at the time of the request.
 */
export interface OrganizationApplications {
  isApplicationMember(organizationId: string, applicationId: string): boolean;
  /** Names of the resource's scopes that the app's organization roles in that organization hold. */
  applicationResourceScopes(organizationId: string, applicationId: string, indicator: string): string[];
}

export interface ProviderDependencies {
  issuer: string;
  /** Current first: oidc-provider signs with the first key of the algorithm and publishes them all. */
  signingKeys: readonly SigningKey[];
  registry: AppRegistry;
  catalog: ResourceCatalog;
  organizations: OrganizationApplications;
  applicationSecrets: ApplicationSecretLookup;
}

/** An oidc-provider configured like Logto's for what the product uses: JWT access tokens for API resources. */
export function createOidcProvider({ issuer, signingKeys, registry, catalog, organizations, applicationSecrets }: ProviderDependencies): Provider {
  // The Current key's algorithm (the first key): Logto signs with ES384 when it is EC (core env-set/oidc.ts).
  const alg = signingKeys[0]?.alg ?? 'ES384';
  const resourceServerInfo = (ctx: KoaContextWithOidc | undefined, indicator: string, client: Client): ResourceServerInfo => {
    const organizationId = clientCredentialsOrganizationId(ctx);
    if (organizationId !== undefined) {
      // Logto checks membership before anything else (core src/oidc/grants/client-credentials.ts, "RFC 0006").
      if (!organizations.isApplicationMember(organizationId, client.clientId)) {
        const error = new errors.AccessDenied('app has not associated with the organization');
        error.statusCode = 403;
        throw error;
      }
      if (indicator === buildOrganizationUrn(organizationId) && ctx?.oidc?.body?.resource === undefined) {
        // An organization token: its scopes are organization (template) scopes, which the dev IdP does not have.
        return jwtResourceServer([], alg);
      }
    }
    const resource = catalog.findByIndicator(indicator);
    if (resource === undefined) {
      throw new errors.InvalidTarget('resource indicator is missing, or unknown');
    }
    // With an organization only the app's organization roles in it count, not its global roles (core
    // src/oidc/resource.ts findResourceScopes, `applicationId && organizationId`).
    const scopes =
      organizationId === undefined
        ? registry.allowedScopes(client.clientId, indicator)
        : organizations.applicationResourceScopes(organizationId, client.clientId, indicator);
    return jwtResourceServer(scopes, alg, resource.accessTokenTtl);
  };

  const provider = new Provider(issuer, {
    adapter: createRegistryAdapterFactory(registry),
    jwks: { keys: signingKeys.map((key) => ({ ...key.privateJwk })) },
    enabledJWA: { idTokenSigningAlgValues: [alg] },
    clientDefaults: { id_token_signed_response_alg: alg },
    // Cookies only matter for interactive login, which the dev IdP does not offer.
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    extraTokenClaims: organizationIdClaim,
    formats: { customizers: { jwt: scopeClaimAsLogto } },
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
        getResourceServerInfo: (ctx, indicator, client) => resourceServerInfo(ctx, indicator, client),
      },
    },
  });
  provider.use(scopeInTokenResponseAsLogto);
  acceptApplicationSecrets(provider, applicationSecrets);
  provider.on('server_error', (_ctx, error) => {
    process.stderr.write(`dev-idp: oidc-provider server_error: ${String(error)}\n`);
  });
  return provider;
}

/** Resource-server settings that make oidc-provider issue Logto-shaped `at+jwt` access tokens. */
export function jwtResourceServer(scopes: readonly string[], alg: SigningKey['alg'], accessTokenTtl?: number): ResourceServerInfo {
  return {
    scope: scopes.join(' '),
    accessTokenFormat: 'jwt',
    accessTokenTTL: accessTokenTtl ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    jwt: { sign: { alg } },
  };
}

/** Logto's `organization_id` parameter of a client_credentials request (organization-scoped M2M tokens). */
function clientCredentialsOrganizationId(ctx: KoaContextWithOidc | undefined): string | undefined {
  return ctx?.oidc?.params?.grant_type === 'client_credentials' ? requestedOrganizationId(ctx) : undefined;
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
