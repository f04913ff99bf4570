import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { ModuleRef, Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, mergeMap, Observable, of, throwError, catchError } from 'rxjs';
import { IdempotencyError } from './idempotency-errors';
import { IDEMPOTENCY_KEY_HEADER, readIdempotencyKey, requestFingerprint, routeScope } from './idempotency-key';
import { IDEMPOTENCY_TTL_MS, IdempotencyScope, IdempotencyStore } from './idempotency.store';
import { IDEMPOTENT_SECRETS, IdempotentSecrets } from './idempotent-secrets';

/** Who the caller is, for scoping keys; undefined means the caller is unknown and the key cannot be honoured. */
export type IdempotencyCallerResolver = (request: FastifyRequest) => string | undefined;

export interface IdempotencyOptions {
  /** The authenticated caller of a request (e.g. principal subject + client id). */
  readonly callerOf: IdempotencyCallerResolver;
  /** How long a key is remembered (default 24 h). */
  readonly ttlMs?: number;
  /** Response headers replayed with the stored response (default: location, etag). */
  readonly storedHeaders?: readonly string[];
}

export const IDEMPOTENCY_OPTIONS = Symbol('IDEMPOTENCY_OPTIONS');

export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

/**
 * `Idempotency-Key` on a route marked @Idempotent(): the first request with a key runs and its response
 * (status, body, the stored headers) is remembered; the same key with the same request replays it, with another
 * request → 422 IDEMPOTENCY_KEY_REUSED, and while the first is still running → 409 IDEMPOTENCY_IN_PROGRESS.
 * A request that fails releases its key, so the client may retry with it. Without the header, nothing changes.
 * A route that declares secret fields (@Idempotent({ fields, restoredBy })) has them left out of the stored response
 * and made anew by its restorer on every replay: no token or key is ever at rest in `idempotency_keys`.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    @Inject(IDEMPOTENCY_OPTIONS) private readonly options: IdempotencyOptions,
    private readonly reflector: Reflector,
    private readonly moduleRef: ModuleRef,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const key = readIdempotencyKey(request.headers[IDEMPOTENCY_KEY_HEADER]);
    if (key === undefined) {
      return next.handle();
    }
    const caller = this.options.callerOf(request);
    if (caller === undefined) {
      // Only authenticated routes can honour keys: an anonymous key would be shared by everyone.
      throw new Error('an @Idempotent() route was reached without an authenticated caller');
    }
    const secrets = this.reflector.get<IdempotentSecrets | undefined>(IDEMPOTENT_SECRETS, context.getHandler());
    const query = request.url.split('?', 2)[1] ?? '';
    const scope: IdempotencyScope = { caller, route: routeScope(request.method, request.routeOptions.url ?? '', request.params), key };
    const begun = await this.store.begin(scope, requestFingerprint(query, request.body), this.options.ttlMs ?? IDEMPOTENCY_TTL_MS);
    switch (begun.kind) {
      case 'mismatch':
        throw new IdempotencyError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request.');
      case 'in-progress':
        throw new IdempotencyError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still being processed; retry shortly.', {
          headers: { 'retry-after': '1' },
        });
      case 'replay': {
        const { status, headers } = begun.response;
        const body = secrets === undefined ? begun.response.body : await this.restoreSecrets(begun.response.body, secrets, request);
        void reply.status(status).headers(headers).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
        return of(body === null ? undefined : body);
      }
      case 'started':
        break;
    }
    const storedHeaders = this.options.storedHeaders ?? ['location', 'etag'];
    return next.handle().pipe(
      mergeMap(async (body: unknown) => {
        const headers: Record<string, string> = {};
        for (const name of storedHeaders) {
          const value = reply.getHeader(name);
          if (typeof value === 'string' || typeof value === 'number') {
            headers[name] = String(value);
          }
        }
        // Stored as the client will see it (what JSON serialization of the handler's result gives), less its secrets.
        const stored: unknown = body === undefined ? null : withoutSecrets(JSON.parse(JSON.stringify(body)), secrets);
        await this.store.complete(scope, begun.ownerToken, { status: reply.statusCode, headers, body: stored });
        return body;
      }),
      catchError((error: unknown) =>
        from(this.store.release(scope, begun.ownerToken).catch(() => undefined)).pipe(mergeMap(() => throwError(() => error))),
      ),
    );
  }

  /** The stored response with its secret fields made anew by the route's restorer (a CodedError when it cannot). */
  private async restoreSecrets(stored: unknown, secrets: IdempotentSecrets, request: FastifyRequest): Promise<Record<string, unknown>> {
    const record = asObject(stored, secrets);
    const made = await this.moduleRef.get(secrets.restoredBy, { strict: false }).restore(record, request);
    const restored = { ...record };
    for (const field of secrets.fields) {
      restored[field] = made[field];
    }
    return restored;
  }
}

function asObject(body: unknown, secrets: IdempotentSecrets): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new TypeError(`a route declaring the secret fields ${secrets.fields.join(', ')} must answer with an object`);
  }
  return body as Record<string, unknown>;
}

/** The response as it may be stored: without the fields the route declared secret. */
function withoutSecrets(body: unknown, secrets: IdempotentSecrets | undefined): unknown {
  if (secrets === undefined) {
    return body;
  }
  const stored = { ...asObject(body, secrets) };
  for (const field of secrets.fields) {
    delete stored[field];
  }
  return stored;
}
