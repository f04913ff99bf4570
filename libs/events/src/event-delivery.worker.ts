import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '@app/service-core';
import { Keyring, PLATFORM_KEYRING } from '@app/security';
import { deliverySignature, SIGNATURE_HEADER } from './delivery-signature';
import { FEED_COLUMNS, feedEventOf } from './event-outbox';
import { eventsConfig, EventsConfig } from './events.config';
import { checkedLookup, checkTargetUrl } from './target-policy';

/** Retries wait at most this long (issue 16: exponential backoff capped at 60 s). */
export const MAX_BACKOFF_MS = 60_000;
const PRUNE_INTERVAL_MS = 60_000;

interface ClaimedDelivery {
  delivery_id: string;
  attempts: number;
  url: string;
  id: string;
  position: string;
  type: string;
  tenant_id: string | null;
  created_at: Date;
  data: Record<string, unknown>;
}

/** The delay before attempt `attempts + 1`: base · 2^(attempts − 1), at most 60 s. */
export function backoffMs(attempts: number, baseMs: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.min(Math.max(attempts - 1, 0), 30));
}

/**
 * Delivers owed events to webhook subscribers, off the request path, at most EVENTS_DELIVERY_CONCURRENCY at a time
 * per replica. Each replica claims due deliveries with FOR UPDATE SKIP LOCKED and pushes their next attempt past
 * the delivery timeout (a lease): no two replicas deliver the same event at once, and one that dies mid-delivery
 * leaves it to be retried when the lease runs out (at least once). Per subscription, only the earliest owed event
 * of a tenant is ever claimable, so each tenant's events arrive in position order; a dead letter stops holding the
 * queue up (it waits for a redeliver). A delivered row is deleted at once; the outbox is pruned after retention.
 */
@Injectable()
export class EventDeliveryWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('EventDelivery');
  private readonly inFlight = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private stopped = false;
  private lastPrune = 0;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(PLATFORM_KEYRING) private readonly keyring: Keyring,
    @Inject(eventsConfig.KEY) private readonly config: EventsConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.pollMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }

  /** Claims what is due and free slots allow, and starts delivering it; never waits for a delivery. */
  async tick(): Promise<void> {
    if (this.stopped || this.ticking) {
      return;
    }
    this.ticking = true;
    try {
      const free = this.config.concurrency - this.inFlight.size;
      if (free > 0) {
        for (const claimed of await this.claim(free)) {
          const delivery = this.deliver(claimed).finally(() => {
            this.inFlight.delete(delivery);
            // The tenant's next event (and a freed slot) need not wait for the next poll.
            setImmediate(() => void this.tick());
          });
          this.inFlight.add(delivery);
        }
      }
      if (Date.now() - this.lastPrune >= PRUNE_INTERVAL_MS) {
        this.lastPrune = Date.now();
        await this.prune();
      }
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        this.logger.error({ err: error }, 'event delivery: could not claim deliveries');
      }
    } finally {
      this.ticking = false;
    }
  }

  /** Deletes events past retention that nothing is owed on any more (the pull feed's horizon). */
  async prune(): Promise<number> {
    const [, deleted] = await this.dataSource.query<[unknown, number]>(
      `DELETE FROM event_outbox o WHERE o.created_at < now() - make_interval(days => $1)
          AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = o.id)`,
      [this.config.retentionDays],
    );
    return deleted;
  }

  private async claim(limit: number): Promise<ClaimedDelivery[]> {
    const leaseSeconds = (this.config.deliveryTimeoutMs * 2 + 5000) / 1000;
    return this.dataSource.query<ClaimedDelivery[]>(
      `WITH claimed AS (
         UPDATE event_deliveries d
            SET next_attempt_at = now() + make_interval(secs => $2), attempts = d.attempts + 1, last_attempt_at = now()
          WHERE d.id IN (
            -- The head of each (subscription, tenant) queue: its earliest owed event. Only a head that is due (not
            -- waiting for a retry, not leased by a replica) is claimed, so a tenant's events go one at a time.
            SELECT c.id
              FROM (SELECT DISTINCT ON (q.subscription_id, q.tenant_id) q.id, q.next_attempt_at, o.position
                      FROM event_deliveries q JOIN event_outbox o ON o.id = q.event_id
                     WHERE q.status = 'PENDING'
                     ORDER BY q.subscription_id, q.tenant_id, o.position) head
              JOIN event_deliveries c ON c.id = head.id
             WHERE head.next_attempt_at <= now()
             ORDER BY head.position
             LIMIT $1
             FOR UPDATE OF c SKIP LOCKED)
          RETURNING d.id, d.subscription_id, d.event_id, d.attempts)
       SELECT claimed.id AS delivery_id, claimed.attempts, s.url, ${FEED_COLUMNS}
         FROM claimed
         JOIN event_subscriptions s ON s.id = claimed.subscription_id
         JOIN event_outbox o ON o.id = claimed.event_id
        ORDER BY o.position`,
      [limit, leaseSeconds],
    );
  }

  private async deliver(claimed: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify(feedEventOf(claimed));
    let failure: string | undefined;
    try {
      const status = await this.post(claimed.url, body, claimed.id, claimed.type);
      failure = status >= 200 && status < 300 ? undefined : `HTTP ${status}`;
    } catch (error) {
      failure = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    }
    try {
      if (failure === undefined) {
        await this.dataSource.query('DELETE FROM event_deliveries WHERE id = $1 AND attempts = $2', [claimed.delivery_id, claimed.attempts]);
        return;
      }
      const dead = claimed.attempts >= this.config.maxAttempts;
      await this.dataSource.query(
        `UPDATE event_deliveries SET status = $3, last_error = $4, next_attempt_at = now() + make_interval(secs => $5)
          WHERE id = $1 AND attempts = $2`,
        [claimed.delivery_id, claimed.attempts, dead ? 'DEAD' : 'PENDING', failure.slice(0, 255), backoffMs(claimed.attempts, this.config.retryBaseMs) / 1000],
      );
      const message = `event ${claimed.type} ${claimed.id} (attempt ${claimed.attempts}): ${failure}`;
      if (dead) {
        this.logger.warn(`${message}; dead letter until redelivered`);
      } else {
        this.logger.debug(message);
      }
    } catch (error) {
      // The lease runs out and the delivery is retried: at least once.
      this.logger.error({ err: error }, `event delivery ${claimed.delivery_id}: could not record the outcome`);
    }
  }

  /** One POST; resolves with the status. Redirects are answers, never followed; the timeout covers the whole exchange. */
  private post(target: string, body: string, eventId: string, type: string): Promise<number> {
    const allowInsecure = this.config.allowInsecureTargets;
    const url = checkTargetUrl(target, allowInsecure);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      const req = send(url, {
        method: 'POST',
        agent: false,
        lookup: checkedLookup(allowInsecure),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'user-agent': 'cameleer-saas-events',
          'x-cameleer-event-id': eventId,
          'x-cameleer-event-type': type,
          [SIGNATURE_HEADER]: deliverySignature(this.keyring, body),
        },
      });
      const timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })), this.config.deliveryTimeoutMs);
      req.on('response', (res) => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
        res.destroy();
      });
      req.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      req.end(body);
    });
  }
}
