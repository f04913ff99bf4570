import type { ResourceServerInfo } from 'oidc-provider';

import { DEFAULT_ACCESS_TOKEN_TTL_SECONDS } from '../constants';
import type { SigningKey } from '../keys/signing-key-store';

/** Resource-server settings that make oidc-provider issue Logto-shaped `at+jwt` access tokens. */
export function jwtResourceServer(scopes: readonly string[], alg: SigningKey['alg'], accessTokenTtl?: number): ResourceServerInfo {
  return {
    scope: scopes.join(' '),
    accessTokenFormat: 'jwt',
    accessTokenTTL: accessTokenTtl ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS,
    jwt: { sign: { alg } },
  };
}
