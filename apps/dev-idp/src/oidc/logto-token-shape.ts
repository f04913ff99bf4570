import type { BaseToken, JwtStructuredToken, KoaContextWithOidc } from 'oidc-provider';

import { ORGANIZATION_URN_PREFIX } from '../constants';

/**
 * Logto patches oidc-provider so `scope` is always in access tokens, possibly as "" ("scope-always-present").
 * Upstream drops an empty scope; verifiers written against Logto may rely on the claim being there.
 */
export function keepScopeClaim(_ctx: unknown, _token: BaseToken, jwt: JwtStructuredToken): void {
  jwt.payload.scope ??= '';
}

/**
 * Adds `organization_id` to API-resource tokens requested with an `organization_id` parameter (Logto's
 * organization-scoped M2M tokens). Tokens minted directly arrive with their claims already in `extra`.
 */
export function organizationIdClaim(
  ctx: KoaContextWithOidc | undefined,
  token: BaseToken,
): Record<string, unknown> | undefined {
  if (token.extra) {
    return token.extra;
  }
  const organizationId = requestedOrganizationId(ctx);
  if (organizationId === undefined || isOrganizationAudience(token.aud)) {
    return undefined;
  }
  return { organization_id: organizationId };
}

/**
 * Logto's `organization_id` token parameter. oidc-provider only passes registered grant parameters through
 * `params` (its `extraParams` cover authorization requests only), so it is read from the parsed form body.
 */
export function requestedOrganizationId(ctx: KoaContextWithOidc | undefined): string | undefined {
  const value = ctx?.oidc?.body?.organization_id;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const isOrganizationAudience = (aud: string | string[] | undefined): boolean =>
  [aud ?? []].flat().some((value) => value.startsWith(ORGANIZATION_URN_PREFIX));

/** Logto echoes `scope` in the token response even when empty; upstream omits it. */
export async function echoEmptyScope(ctx: KoaContextWithOidc, next: () => Promise<void>): Promise<void> {
  await next();
  const { body } = ctx;
  if (ctx.method === 'POST' && ctx.path === '/token' && isTokenResponse(body) && body.scope === undefined) {
    body.scope = '';
  }
}

const isTokenResponse = (body: unknown): body is { access_token: string; scope?: string } =>
  typeof body === 'object' && body !== null && 'access_token' in body;
