import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';

import { MANAGEMENT_API_RESOURCE, MANAGEMENT_API_SCOPE } from '../constants';
import type { SigningKey } from '../keys/signing-key-store';
import { RequestError } from './request-error';

export interface ManagementCaller {
  type: 'user' | 'app';
  id: string;
}

/**
 * Logto's koa-auth for the Management API: a bearer JWT from this issuer with `aud` = the Management API
 * indicator, verified against the provider's own public keys (those of the moment: a rotation keeps the previous
 * one); then the `all` scope is required.
 */
export function createManagementAuth(issuer: string, signingKeys: () => readonly SigningKey[]) {
  let keys: ReturnType<typeof createLocalJWKSet> | undefined;
  let keysOf: readonly SigningKey[] | undefined;

  return async function authenticate(authorization: string | undefined): Promise<ManagementCaller> {
    if (!authorization) {
      throw new RequestError(401, 'auth.authorization_header_missing', 'Authorization header is missing.');
    }
    if (!authorization.startsWith('Bearer')) {
      throw new RequestError(401, 'auth.authorization_token_type_not_supported', 'Authorization type is not supported.', {
        supportedTypes: ['Bearer'],
      });
    }
    const current = signingKeys();
    if (keys === undefined || keysOf !== current) {
      keys = createLocalJWKSet({ keys: current.map((key) => key.publicJwk) });
      keysOf = current;
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(authorization.slice('Bearer '.length), keys, {
        issuer,
        audience: MANAGEMENT_API_RESOURCE,
        algorithms: [...new Set(current.map((key) => key.alg))],
      }));
    } catch (error: unknown) {
      throw new RequestError(401, 'auth.unauthorized', 'Unauthorized. Please check credentials and its scope.', {
        name: error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
      });
    }
    if (!payload.sub) {
      throw new RequestError(401, 'auth.jwt_sub_missing', 'Missing `sub` in JWT.');
    }
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    if (!scope.split(' ').includes(MANAGEMENT_API_SCOPE)) {
      throw new RequestError(403, 'auth.forbidden', 'Forbidden. Please check your user roles and permissions.');
    }
    return { type: payload.sub === payload.client_id ? 'app' : 'user', id: payload.sub };
  };
}
