import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, Raw, Repository } from 'typeorm';
import { IdempotencyKey } from './idempotency-key.entity';

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a first request may run before a retry with the same key may take the key over. */
export const IDEMPOTENCY_LOCK_MS = 60_000;
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

export interface IdempotencyScope {
  /** Who is calling (e.g. `logto:<subject>:<client>`): keys of different callers never meet. */
  readonly caller: string;
  /** Method and path, e.g. `POST /api/tenants`. */
  readonly route: string;
  readonly key: string;
}

export interface StoredResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** What the store says about a key when a request arrives with it. */
export type IdempotencyBegin =
  | { readonly kind: 'started'; readonly ownerToken: string }
  | { readonly kind: 'replay'; readonly response: StoredResponse }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'in-progress' };

/**
 * The `idempotency_keys` table. Claiming a key is one INSERT … ON CONFLICT, so two concurrent requests with the
 * same key cannot both start; an expired row, or one whose first request died holding it (lock passed), is
 * taken over by the same statement.
 */
@Injectable()
export class IdempotencyStore implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Idempotency');
  private purgeTimer?: NodeJS.Timeout;
  private readonly keys: Repository<IdempotencyKey>;

  constructor(private readonly dataSource: DataSource) {
    this.keys = dataSource.getRepository(IdempotencyKey);
  }

  async begin(scope: IdempotencyScope, requestHash: string, ttlMs = IDEMPOTENCY_TTL_MS): Promise<IdempotencyBegin> {
    // A row can vanish between the failed claim and the read (its first request failed and released it).
    for (let attempt = 0; attempt < 3; attempt++) {
      const ownerToken = randomUUID();
      const claimed = await this.dataSource.query<{ owner_token: string }[]>(
        `INSERT INTO idempotency_keys AS k
           (caller, route, idempotency_key, request_hash, state, owner_token, locked_until, expires_at)
         VALUES ($1, $2, $3, $4, 'IN_PROGRESS', $5, now() + make_interval(secs => $6::double precision / 1000),
                 now() + make_interval(secs => $7::double precision / 1000))
         ON CONFLICT (caller, route, idempotency_key) DO UPDATE
           SET request_hash = EXCLUDED.request_hash, state = 'IN_PROGRESS', owner_token = EXCLUDED.owner_token,
               locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at, created_at = now(),
               response_status = NULL, response_headers = NULL, response_body = NULL
           WHERE k.expires_at <= now()
              OR (k.state = 'IN_PROGRESS' AND k.locked_until <= now() AND k.request_hash = EXCLUDED.request_hash)
         RETURNING owner_token`,
        [scope.caller, scope.route, scope.key, requestHash, ownerToken, IDEMPOTENCY_LOCK_MS, ttlMs],
      );
      if (claimed.length > 0) {
        return { kind: 'started', ownerToken };
      }
      const existing = await this.keys.findOneBy({ caller: scope.caller, route: scope.route, key: scope.key });
      if (existing === null) {
        continue;
      }
      if (existing.requestHash !== requestHash) {
        return { kind: 'mismatch' };
      }
      if (existing.state === 'IN_PROGRESS' || existing.responseStatus === null) {
        return { kind: 'in-progress' };
      }
      return { kind: 'replay', response: { status: existing.responseStatus, headers: existing.responseHeaders ?? {}, body: existing.responseBody } };
    }
    return { kind: 'in-progress' };
  }

  /** Stores the first response; later requests with the key replay it. */
  async complete(scope: IdempotencyScope, ownerToken: string, response: StoredResponse): Promise<void> {
    // The body as JSON text: any JSON value, a bare string or null included, which the repository's typing cannot take.
    await this.dataSource.query(
      `UPDATE idempotency_keys
          SET state = 'COMPLETED', response_status = $5, response_headers = $6::jsonb, response_body = $7::jsonb
        WHERE caller = $1 AND route = $2 AND idempotency_key = $3 AND owner_token = $4`,
      [scope.caller, scope.route, scope.key, ownerToken, response.status, JSON.stringify(response.headers), JSON.stringify(response.body ?? null)],
    );
  }

  /** The first request failed: forget the key so the client may retry it. */
  async release(scope: IdempotencyScope, ownerToken: string): Promise<void> {
    await this.keys.delete({ caller: scope.caller, route: scope.route, key: scope.key, ownerToken });
  }

  /** Deletes expired keys; returns how many. */
  async purgeExpired(): Promise<number> {
    const result = await this.keys.delete({ expiresAt: Raw((column) => `${column} <= now()`) });
    return result.affected ?? 0;
  }

  onApplicationBootstrap(): void {
    this.purgeTimer = setInterval(() => {
      this.purgeExpired().then(
        (purged) => purged > 0 && this.logger.debug(`purged ${purged} expired idempotency keys`),
        (error: unknown) => this.logger.warn(`purging expired idempotency keys failed: ${String(error)}`),
      );
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.purgeTimer);
  }
}
