// oidc-provider 9 is ESM-only. loadOidcProvider() require()s it, which Node >= 20.19 serves natively
// (require(esm)); only Jest's module VM cannot, which is why the dev IdP always runs as its own process.
import type { AdapterPayload, Client, KoaContextWithOidc, Provider as OidcProvider, ResourceServerInfo } from 'oidc-provider';

import { INTERACTION_PREFIX } from '../interaction/sign-in-page';
import type { User } from '../management/management-state';
import { buildOrganizationUrn, DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from '../constants';
import type { SigningKey } from '../keys/signing-key-store';
import type { AppRegistry } from './app-registry';
import { acceptApplicationSecrets, type ApplicationSecretLookup } from './app-secrets';
import { findLogtoAccount, LOGTO_CLAIMS } from './logto-account';
import { organizationIdClaim, requestedOrganizationId, scopeClaimAsLogto, scopeInTokenResponseAsLogto } from './logto-token-shape';
import { createAdapterFactory, type ModelStore } from './memory-adapter';
import { errorBodyAsLogto } from './oidc-error-body';
import { installLogtoRefreshTokenGrant } from './organization-refresh-grant';
import { loadOidcProvider } from './oidc-provider-module';
import type { ResourceCatalog } from './resource-catalog';
import { jwtResourceServer } from './resource-server';

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

/** What sign-in, ID tokens and user tokens ask about users (Logto's users and organization_user_relations). */
export interface UserDirectory {
  findUser(userId: string): User | undefined;
  userByPassword(username: string, password: string): User | undefined;
  isMember(organizationId: string, userId: string): boolean;
  organizationsOfUser(userId: string): { id: string; roleNames: string[] }[];
  userResourceScopes(userId: string, indicator: string, organizationId?: string): string[];
}

/** Logto's token lifetimes (core src/oidc/init.ts `ttl`, schemas consts/oidc.ts `customClientMetadataDefault`). */
const DAY_SECONDS = 24 * 3600;
const LOGTO_TTL = {
  IdToken: 3600,
  RefreshToken: 14 * DAY_SECONDS,
  Interaction: 3600,
  Session: 14 * DAY_SECONDS,
  Grant: 180 * DAY_SECONDS,
  AuthorizationCode: 60,
} as const;

/**
 * Logto's logout page (core static/html/logout.html): no confirmation; the page submits oidc-provider's form
 * itself, and the browser lands on the post-logout redirect URI.
 */
const logoutPage = (form: string): string => `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><title>Sign Out</title></head>
<body onload="document.getElementById('op.logoutForm').submit();">
  ${form}
  <input type="hidden" form="op.logoutForm" value="yes" name="logout" />
</body></html>`;

export interface ProviderDependencies {
  issuer: string;
  /** Current first: oidc-provider signs with the first key of the algorithm and publishes them all. */
  signingKeys: readonly SigningKey[];
  registry: AppRegistry;
  catalog: ResourceCatalog;
  organizations: OrganizationApplications;
  applicationSecrets: ApplicationSecretLookup;
  users: UserDirectory;
  /** Interactive applications created through the Management API (Traditional, SPA, Native), as client metadata. */
  interactiveClient(clientId: string): AdapterPayload | undefined;
  /** Sessions, interactions, codes, grants and refresh tokens; outlives the provider across key rotations. */
  store: ModelStore;
  /** Keys of oidc-provider's signed cookies; the same across key rotations, so a sign-in in progress survives one. */
  cookieKeys: string[];
}

/** An oidc-provider configured like Logto's for what the product uses: JWT access tokens for API resources. */
export function createOidcProvider({
  issuer,
  signingKeys,
  registry,
  catalog,
  organizations,
  applicationSecrets,
  users,
  interactiveClient,
  store,
  cookieKeys,
}: ProviderDependencies): Provider {
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
    // core src/oidc/resource.ts findResourceScopes: a user first (the signed-in session at authorization, the
    // refresh token's account at the token endpoint): the scopes the user's roles hold, from every organization,
    // or from the requested organization only. With an organization an app gets only its organization roles' scopes
    // in it, not its global roles (`applicationId && organizationId`).
    const userId = ctx?.oidc?.session?.accountId ?? ctx?.oidc?.entities?.Account?.accountId;
    const requestedOrganization = requestedOrganizationId(ctx);
    const scopes =
      userId !== undefined
        ? users.userResourceScopes(userId, indicator, requestedOrganization)
        : organizationId === undefined
          ? registry.allowedScopes(client.clientId, indicator)
          : organizations.applicationResourceScopes(organizationId, client.clientId, indicator);
    return jwtResourceServer(scopes, alg, resource.accessTokenTtl);
  };

  const provider = new Provider(issuer, {
    adapter: createAdapterFactory((clientId) => registry.clientMetadata(clientId) ?? interactiveClient(clientId), store),
    jwks: { keys: signingKeys.map((key) => ({ ...key.privateJwk })) },
    enabledJWA: { idTokenSigningAlgValues: [alg] },
    clientDefaults: { id_token_signed_response_alg: alg },
    // Logto answers errors as JSON whatever the request accepts (core src/oidc/init.ts `renderError`).
    renderError: (ctx, out) => {
      ctx.body = out;
    },
    cookies: {
      keys: cookieKeys,
      long: { sameSite: 'lax', path: '/', signed: true, overwrite: true },
      short: { sameSite: 'lax', path: '/', signed: true, overwrite: true },
    },
    findAccount: (_ctx, sub) => findLogtoAccount(users, sub),
    claims: LOGTO_CLAIMS,
    // Claims of the granted scopes go into the ID token even when an access token is issued, as in Logto.
    conformIdTokenClaims: false,
    extraTokenClaims: organizationIdClaim,
    formats: { customizers: { jwt: scopeClaimAsLogto } },
    interactions: { url: (_ctx, interaction) => `${INTERACTION_PREFIX}${interaction.uid}` },
    // Logto requires PKCE of every client that does not authenticate with client_secret_basic, i.e. of SPA and
    // Native apps; a Traditional app may leave it out (core src/oidc/init.ts `pkce.required`). Only S256 is
    // accepted (oidc-provider 9 has no `plain`), and a code asked for with a challenge needs its verifier.
    pkce: { required: (_ctx, client) => client.clientAuthMethod !== 'client_secret_basic' },
    // Logto's rotateRefreshToken (core src/oidc/defaults.ts) is oidc-provider's default: a public client's refresh
    // token rotates at every use; a confidential (Traditional) app's only once 70 % of its 14-day lifetime passed,
    // so the edge app normally gets the same refresh token back.
    ttl: {
      ...LOGTO_TTL,
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      introspection: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx, form) => {
          ctx.body = logoutPage(form);
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: defaultClientCredentialsResource,
        // Logto turns it off (core src/oidc/init.ts): a code or refresh token exchanged without `resource` gets a
        // token for the userinfo endpoint, not one for the resource granted at sign-in.
        useGrantedResource: () => false,
        getResourceServerInfo: (ctx, indicator, client) => resourceServerInfo(ctx, indicator, client),
      },
    },
  });
  installLogtoRefreshTokenGrant(provider, users, alg);
  provider.use(errorBodyAsLogto);
  provider.use(scopeInTokenResponseAsLogto);
  acceptApplicationSecrets(provider, applicationSecrets);
  provider.on('server_error', (_ctx, error) => {
    process.stderr.write(`dev-idp: oidc-provider server_error: ${String(error)}\n`);
  });
  return provider;
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
