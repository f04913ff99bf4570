import type { KoaContextWithOidc, Provider } from 'oidc-provider';

import { buildOrganizationUrn } from '../constants';
import type { SigningKey } from '../keys/signing-key-store';
import type { UserDirectory } from './create-provider';
import { ORGANIZATIONS_SCOPE } from './logto-account';
import { requestedOrganizationId } from './logto-token-shape';
import { loadOidcProvider, loadRefreshTokenGrant } from './oidc-provider-module';
import { jwtResourceServer } from './resource-server';

const { errors } = loadOidcProvider();

/**
 * Logto's refresh_token grant (core src/oidc/grants/refresh-token.ts, "RFC 0001"): oidc-provider's own grant plus
 * the `organization_id` parameter. Logto forks the whole handler; the dev IdP runs oidc-provider's handler and adds
 * Logto's steps around it, in Logto's order:
 * - the refresh token is looked up, checked and its account validated by oidc-provider (invalid_grant otherwise);
 * - with `organization_id`, a user who is not a member of the organization gets 403 `access_denied` "user is not
 *   a member of the organization", and a refresh token issued without `urn:logto:scope:organizations` 403
 *   `insufficient_scope` (src/oidc/grants/utils.ts `checkOrganizationAccess`), before any rotation;
 * - with `organization_id` and `resource`, an access token for the resource with the `organization_id` claim and
 *   the scopes the user's roles in that organization grant (getResourceServerInfo, see create-provider.ts);
 * - with `organization_id` alone, an organization token: `aud` urn:logto:organization:<id>, the organization
 *   (template) scopes, none in the dev IdP, so `scope: ""` (src/oidc/grants/utils.ts `handleOrganizationToken`).
 */
export function installLogtoRefreshTokenGrant(provider: Provider, users: UserDirectory, alg: SigningKey['alg']): void {
  const upstream = loadRefreshTokenGrant(provider);

  provider.registerGrantType(
    'refresh_token',
    async (ctx) => {
      const organizationId = requestedOrganizationId(ctx);
      if (organizationId === undefined) {
        await upstream.handler(ctx);
        return;
      }
      await checkOrganizationAccess(provider, ctx, users, organizationId);
      await upstream.handler(ctx);
      if (ctx.oidc?.params?.resource === undefined) {
        await replaceWithOrganizationToken(provider, ctx, organizationId, alg);
      }
    },
    [...upstream.parameters, 'organization_id', 'resource'],
    ['resource'],
  );
}

async function checkOrganizationAccess(provider: Provider, ctx: KoaContextWithOidc, users: UserDirectory, organizationId: string): Promise<void> {
  const value = ctx.oidc?.params?.refresh_token;
  const refreshToken = typeof value === 'string' ? await provider.RefreshToken.find(value, { ignoreExpiration: true }) : undefined;
  // What oidc-provider refuses itself (unknown, another client's, expired, reused, a deleted user) it refuses first.
  if (
    refreshToken === undefined ||
    refreshToken.clientId !== ctx.oidc?.client?.clientId ||
    refreshToken.isExpired ||
    refreshToken.consumed !== undefined ||
    users.findUser(refreshToken.accountId) === undefined
  ) {
    return;
  }
  if (!users.isMember(organizationId, refreshToken.accountId)) {
    const error = new errors.AccessDenied('user is not a member of the organization');
    error.statusCode = 403;
    throw error;
  }
  if (!refreshToken.scopes.has(ORGANIZATIONS_SCOPE)) {
    throw new errors.InsufficientScope('refresh token missing required scope', ORGANIZATIONS_SCOPE);
  }
}

/**
 * Without `resource`, oidc-provider's handler issued an opaque token for the userinfo endpoint; Logto issues the
 * organization token instead, under the same grant and session.
 */
async function replaceWithOrganizationToken(provider: Provider, ctx: KoaContextWithOidc, organizationId: string, alg: SigningKey['alg']): Promise<void> {
  const issued = ctx.oidc?.entities?.AccessToken;
  const client = ctx.oidc?.client;
  const body = ctx.body as Record<string, unknown>;
  if (issued === undefined || client === undefined || issued.accountId === undefined) {
    throw new Error('the refresh_token grant issued no access token');
  }
  const audience = buildOrganizationUrn(organizationId);
  const token = new provider.AccessToken({
    accountId: issued.accountId,
    client,
    grantId: issued.grantId,
    gty: issued.gty,
    sessionUid: issued.sessionUid,
    sid: issued.sid,
    resourceServer: new provider.ResourceServer(audience, jwtResourceServer([], alg)),
    scope: '',
  });
  body.access_token = await token.save();
  body.expires_in = token.expiration;
  body.scope = '';
  await issued.destroy();
}
