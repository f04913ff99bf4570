import { SIGNING_KEY_ALGORITHMS, type SigningKey, type SigningKeyAlgorithm } from '../keys/signing-key-store';
import { requireBody } from './input-guards';
import { invalidInput, RequestError } from './request-error';
import type { RouteTable } from './route-table';

/** The signing keys as the core holds them; rotating replaces them (persisted) and the provider signing with them. */
export interface SigningKeyControl {
  readonly signingKeys: readonly SigningKey[];
  rotateSigningKeys(algorithm: SigningKeyAlgorithm): Promise<readonly SigningKey[]>;
}

/** Logto's `LogtoOidcConfigKeyType`; the dev IdP's cookie keys are a random key per process, not managed here. */
const KEY_TYPES = ['private-keys', 'cookie-keys'] as const;

/** Logto's redacted key answer (core libraries/logto-config.ts getRedactedOidcKeyResponse): never the key itself. */
const redacted = (key: SigningKey): { id: string; createdAt: number; signingKeyAlgorithm: SigningKeyAlgorithm; status: string } => ({
  id: key.id,
  createdAt: key.createdAt,
  signingKeyAlgorithm: key.alg === 'ES384' ? 'EC' : 'RSA',
  status: key.status,
});

/**
 * The OIDC signing keys, as core routes/logto-config/index.ts (Logto 1.42): `GET /configs/oidc/private-keys` and
 * `POST /configs/oidc/private-keys/rotate` `{ signingKeyAlgorithm?: 'EC' | 'RSA' (default EC), rotationGracePeriod? }`
 * → 200 with the new Current key and the Previous one (the older Previous is dropped). The dev IdP rotates
 * immediately, as Logto does with its default grace period of 0; a grace period (a staged `Next` key) is refused.
 */
export function addSigningKeyRoutes(routes: RouteTable, keys: SigningKeyControl): void {
  const keyType = (value: string): void => {
    if (!(KEY_TYPES as readonly string[]).includes(value)) {
      throw invalidInput(`"keyType" must be one of ${KEY_TYPES.join(', ')}`);
    }
    if (value !== 'private-keys') {
      throw new RequestError(422, 'oidc.invalid_request', 'The dev IdP does not manage cookie keys (a random key per process).');
    }
  };

  routes.add('GET', '/configs/oidc/:keyType', ({ param }) => {
    keyType(param('keyType'));
    return { status: 200, body: keys.signingKeys.map(redacted) };
  });

  routes.add('POST', '/configs/oidc/:keyType/rotate', async ({ param, body }) => {
    const input = body === undefined ? {} : requireBody(body);
    const unknown = Object.keys(input).filter((key) => key !== 'signingKeyAlgorithm' && key !== 'rotationGracePeriod');
    if (unknown.length > 0) {
      throw invalidInput(`unknown fields: ${unknown.join(', ')}`);
    }
    const algorithm = input.signingKeyAlgorithm ?? 'EC';
    if (!(SIGNING_KEY_ALGORITHMS as readonly unknown[]).includes(algorithm)) {
      throw invalidInput(`"signingKeyAlgorithm" must be one of ${SIGNING_KEY_ALGORITHMS.join(', ')}`);
    }
    const grace = input.rotationGracePeriod;
    if (grace !== undefined && !(Number.isInteger(grace) && (grace as number) >= 0)) {
      throw invalidInput('"rotationGracePeriod" must be a non-negative integer (seconds)');
    }
    keyType(param('keyType'));
    if (grace !== undefined && grace !== 0) {
      throw new RequestError(422, 'oidc.invalid_request', 'The dev IdP rotates immediately: a rotation grace period is not supported.');
    }
    return { status: 200, body: (await keys.rotateSigningKeys(algorithm as SigningKeyAlgorithm)).map(redacted) };
  });
}
