import type { BaseToken, JwtStructuredToken, KoaContextWithOidc } from 'oidc-provider';

import { ORGANIZATION_URN_PREFIX } from '../constants';

/**
 * The `scope` Logto writes into an access token and its token response. Logto's oidc-provider fork writes the
 * token's scope as it is (fork lib/models/formats/jwt.js `scope: scope`, where upstream drops an empty one), so:
 * - a machine-to-machine resource token granted no scope has none at all: Logto's client_credentials grant sets
 *   the token's scope to undefined then (core src/oidc/grants/client-credentials.ts `... .join(' ') || undefined`;
 *   asserted by Logto's integration test tests/api/oidc/client-credentials-grant.test.ts);
 * - an organization token always has one, possibly "": core src/oidc/grants/utils.ts `handleOrganizationToken`
 *   sets it to the issued organization scopes;
 * - a user token has one, possibly "": the fork's grants set it from `grant.getResourceScopeFiltered`, a string.
 * The dev IdP runs upstream oidc-provider, whose client_credentials grant leaves an empty scope undefined, so only
 * the organization case needs filling in.
 */
function issuedScope(scope: string | undefined, aud: unknown): string | undefined {
  return scope ?? (isOrganizationAudience(aud) ? '' : undefined);
}

/**
 * The JWT `scope` claim exactly as Logto writes it (see issuedScope). Like Logto's (fork
 * lib/models/formats/jwt.js builds the payload without it), the dev IdP's tokens carry no `nbf`.
 */
export function scopeClaimAsLogto(_ctx: unknown, token: BaseToken, jwt: JwtStructuredToken): void {
  const scope = issuedScope(token.scope, jwt.payload.aud);
  if (scope === undefined) {
    delete jwt.payload.scope;
  } else {
    jwt.payload.scope = scope;
  }
}

/**
 * The token response's `scope` as Logto answers it: the token's scope as issued, absent when the token has none
 * (core src/oidc/grants/client-credentials.ts: `scope: token.scope`, which JSON leaves out when undefined).
 */
export async function scopeInTokenResponseAsLogto(ctx: KoaContextWithOidc, next: () => Promise<void>): Promise<void> {
  await next();
  const { body } = ctx;
  const token = ctx.oidc?.entities?.ClientCredentials;
  if (ctx.method !== 'POST' || ctx.path !== '/token' || !isTokenResponse(body) || token === undefined) {
    return;
  }
  const scope = issuedScope(token.scope, token.resourceServer?.audience ?? token.resourceServer?.identifier());
  if (scope === undefined) {
    delete body.scope;
  } else {
    body.scope = scope;
  }
}

/**
 * Adds `organization_id` to API-resource tokens requested with both an `organization_id` and a `resource` parameter
 * (Logto's organization-scoped M2M and user tokens; core src/oidc/extra-token-claims.ts
 * `getExtraTokenClaimsForOrganizationApiResource`). Tokens minted directly arrive with their claims in `extra`.
 */
export function organizationIdClaim(
  ctx: KoaContextWithOidc | undefined,
  token: BaseToken,
): Record<string, unknown> | undefined {
  if (token.extra) {
    return token.extra;
  }
  const organizationId = requestedOrganizationId(ctx);
  if (organizationId === undefined || ctx?.oidc?.params?.resource === undefined || isOrganizationAudience(token.aud)) {
    return undefined;
  }
  return { organization_id: organizationId };
}

/**
 * Logto's `organization_id` token parameter. oidc-provider only passes registered grant parameters through
 * `params` (its `extraParams` cover authorization requests only), so it is read from the parsed form body.
 * Empty counts as absent, as in Logto (core src/oidc/grants/client-credentials.ts `cond(Boolean(...))`).
 */
export function requestedOrganizationId(ctx: KoaContextWithOidc | undefined): string | undefined {
  const value = ctx?.oidc?.body?.organization_id;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const isOrganizationAudience = (aud: unknown): boolean =>
  [aud ?? []].flat().some((value) => typeof value === 'string' && value.startsWith(ORGANIZATION_URN_PREFIX));

const isTokenResponse = (body: unknown): body is { access_token: string; scope?: string } =>
  typeof body === 'object' && body !== null && 'access_token' in body;
