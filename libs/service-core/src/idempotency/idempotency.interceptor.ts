import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { from, mergeMap, Observable, of, throwError, catchError } from 'rxjs';
import { IdempotencyError } from './idempotency-errors';
import { IDEMPOTENCY_KEY_HEADER, readIdempotencyKey, requestFingerprint, routeScope } from './idempotency-key';
import { IDEMPOTENCY_TTL_MS, IdempotencyScope, IdempotencyStore } from './idempotency.store';

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
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly store: IdempotencyStore,
    @Inject(IDEMPOTENCY_OPTIONS) private readonly options: IdempotencyOptions,
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
        const { status, headers, body } = begun.response;
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
        // Stored as the client will see it: what JSON serialization of the handler's result gives.
        const stored: unknown = body === undefined ? null : JSON.parse(JSON.stringify(body));
        await this.store.complete(scope, begun.ownerToken, { status: reply.statusCode, headers, body: stored });
        return body;
      }),
      catchError((error: unknown) =>
        from(this.store.release(scope, begun.ownerToken).catch(() => undefined)).pipe(mergeMap(() => throwError(() => error))),
      ),
    );
  }
}
