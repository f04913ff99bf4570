import type { User } from '../management/management-state';
import type { UserDirectory } from './create-provider';
import { loadOidcProvider } from './oidc-provider-module';

const { errors } = loadOidcProvider();

/** Logto's organization scopes (core-kit src/openid.ts `UserScope`). */
export const ORGANIZATIONS_SCOPE = 'urn:logto:scope:organizations';
const ORGANIZATION_ROLES_SCOPE = 'urn:logto:scope:organization_roles';

/**
 * The claims each scope brings into the ID token, as a freshly seeded Logto: core-kit `idTokenClaims` for
 * `profile`, and for the organization scopes the "extended" claims that the seed enables by default (schemas
 * seeds/logto-config.ts `createDefaultIdTokenConfig`: roles, organizations, organization_roles; not
 * organization_data, which only userinfo answers).
 */
export const LOGTO_CLAIMS: Record<string, string[]> = {
  profile: ['name', 'picture', 'username', 'preferred_username', 'created_at', 'updated_at'],
  [ORGANIZATIONS_SCOPE]: ['organizations'],
  [ORGANIZATION_ROLES_SCOPE]: ['organization_roles'],
};

export interface OidcAccount {
  accountId: string;
  claims(use: string, scope: string): Record<string, unknown>;
}

/**
 * oidc-provider's `findAccount`, as Logto's (core src/oidc/init.ts): a user deleted since the token was issued is
 * `invalid_grant` "user not found". The claim values follow core src/oidc/scope.ts `getUserClaimsData`:
 * `organizations` are the IDs of the user's organizations, `organization_roles` `<organizationId>:<roleName>`.
 */
export function findLogtoAccount(users: UserDirectory, accountId: string): OidcAccount {
  const user = users.findUser(accountId);
  if (user === undefined) {
    throw new errors.InvalidGrant('user not found');
  }
  return { accountId, claims: (_use, scope) => userClaims(users, user, scope) };
}

function userClaims(users: UserDirectory, user: User, scope: string): Record<string, unknown> {
  const scopes = new Set(scope.split(' '));
  const claims: Record<string, unknown> = { sub: user.id };
  if (scopes.has('profile')) {
    Object.assign(claims, {
      name: user.name,
      picture: user.avatar,
      username: user.username,
      preferred_username: user.username ?? undefined,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
    });
  }
  if (scopes.has(ORGANIZATIONS_SCOPE) || scopes.has(ORGANIZATION_ROLES_SCOPE)) {
    const organizations = users.organizationsOfUser(user.id);
    if (scopes.has(ORGANIZATIONS_SCOPE)) {
      claims.organizations = organizations.map(({ id }) => id);
    }
    if (scopes.has(ORGANIZATION_ROLES_SCOPE)) {
      claims.organization_roles = organizations.flatMap(({ id, roleNames }) => roleNames.map((name) => `${id}:${name}`));
    }
  }
  return claims;
}
