import type { Type } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';

/**
 * Makes the secret fields of an @Idempotent() route's response anew for a replay. `stored` is the first response's
 * body as stored, without its secret fields; `request` is the replaying request (same caller, route and params).
 * When the secret can no longer be made (the resource was revoked, superseded, has expired), it throws a CodedError:
 * that is the replay's answer, and the key stays used.
 */
export interface SecretRestorer<F extends string = string> {
  restore(stored: Readonly<Record<string, unknown>>, request: FastifyRequest): Promise<Readonly<Record<F, unknown>>>;
}

/**
 * The fields of a route's response that hold secrets (tokens, keys). Idempotency-Key handling never stores them:
 * the stored response keeps the rest (the record, with its id), and a replay gets them from `restoredBy`, a provider
 * of the route's module. Top-level fields of an object body only.
 */
export interface IdempotentSecrets<F extends string = string> {
  readonly fields: readonly [F, ...F[]];
  readonly restoredBy: Type<SecretRestorer<F>>;
}

export const IDEMPOTENT_SECRETS = Symbol('idempotent secrets');
