import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { DatabaseEndpoint } from './database-endpoint';

/**
 * Something other instances must learn about at once, e.g. to drop a cache entry. Topics belong to
 * the libs that publish and subscribe to them; the bus only carries them.
 */
export interface Change {
  readonly topic: string;
  readonly id: string;
}

export type ChangeHandler = (change: Change) => void;

const CHANNEL = 'cameleer_changes';
// A half-open connection (no RST: a partition, a frozen server) raises no event: a query on the
// listening connection every few seconds finds it, so the channel is known lost within seconds.
const HEARTBEAT_MS = 5_000;
// A failed NOTIFY is retried soon (a dropped pool connection is replaced at once), then less often, for as
// long as a subscriber may keep what the change invalidates (forward-auth's longest cache TTL is 5 min).
const NOTIFY_RETRY_FIRST_MS = 50;
const NOTIFY_RETRY_MAX_MS = 2_000;
const NOTIFY_RETRY_FOR_MS = 300_000;

/**
 * Cross-replica change notifications: PostgreSQL LISTEN/NOTIFY on a real server, an in-process bus
 * on embedded PostgreSQL (one process). Local subscribers hear a change immediately; other replicas
 * within the NOTIFY round trip. `connected` says whether the listening connection is up: while it
 * is down, notifications from other replicas are lost, so whoever caches what they invalidate must
 * stop caching (`onConnectionChange` hears each loss and each recovery). Embedded PostgreSQL has one
 * process and no listening connection: always connected.
 */
@Injectable()
export class ChangeBus implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChangeBus.name);
  private readonly origin = randomUUID();
  private readonly handlers = new Set<ChangeHandler>();
  private readonly connectionHandlers = new Set<(connected: boolean) => void>();
  private listener?: Client;
  private listening = false;
  private stopped = false;

  constructor(
    private readonly endpoint: DatabaseEndpoint,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  subscribe(handler: ChangeHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** True while changes from other replicas arrive (always on embedded PostgreSQL). */
  get connected(): boolean {
    return this.endpoint.isEmbedded || this.listening;
  }

  /** Hears every loss (false) and recovery (true) of the channel; returns the function that unsubscribes. */
  onConnectionChange(handler: (connected: boolean) => void): () => void {
    this.connectionHandlers.add(handler);
    return () => this.connectionHandlers.delete(handler);
  }

  /**
   * Tells this instance now and the others through NOTIFY, retried until PostgreSQL takes it (for up to 5 min,
   * or until the bus stops): the change was committed, so the database was just reachable, and a NOTIFY lost to a
   * dropped pool connection would leave every other replica serving what the change invalidated for a cache's
   * whole TTL. A retry that comes after the database was gone for a while is harmless: the listeners lost the
   * channel too and flushed. Never throws.
   */
  publish(change: Change): void {
    this.dispatch(change);
    if (!this.endpoint.isEmbedded) {
      void this.notify(change.topic, JSON.stringify({ ...change, origin: this.origin }));
    }
  }

  onApplicationBootstrap(): void {
    if (!this.endpoint.isEmbedded) {
      void this.listen();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    await this.listener?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    let delayMs = 250;
    while (!this.stopped) {
      const client = new Client({ connectionString: await this.endpoint.url(), keepAlive: true, application_name: 'cameleer-saas-changes' });
      let lost = (): void => undefined;
      const closed = new Promise<void>((resolve) => {
        lost = resolve;
        client.once('end', resolve);
        // Kept for the client's whole life: an 'error' without a listener would crash the process.
        client.on('error', () => resolve());
      });
      let heartbeat: NodeJS.Timeout | undefined;
      try {
        await client.connect();
        client.on('notification', (message) => this.receive(message.payload));
        await client.query(`LISTEN ${CHANNEL}`);
        this.listener = client;
        delayMs = 250;
        heartbeat = setInterval(() => probe(client, lost), HEARTBEAT_MS);
        this.setListening(true);
        await closed;
      } catch (error) {
        this.logger.warn(`change listener: ${error instanceof Error ? error.message : String(error)}`);
      }
      clearInterval(heartbeat);
      this.setListening(false);
      // Not awaited: on a half-open connection the goodbye may never be answered.
      client.end().catch(() => undefined);
      if (!this.stopped) {
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 5000);
      }
    }
  }

  private setListening(listening: boolean): void {
    if (this.listening === listening) {
      return;
    }
    this.listening = listening;
    if (!listening && !this.stopped) {
      this.logger.warn('change listener lost: caches that depend on it are off until it is back');
    }
    for (const handler of this.connectionHandlers) {
      try {
        handler(listening);
      } catch (error) {
        this.logger.error({ err: error }, 'a change-connection handler failed');
      }
    }
  }

  private async notify(topic: string, payload: string): Promise<void> {
    const giveUpAt = Date.now() + NOTIFY_RETRY_FOR_MS;
    let delayMs = NOTIFY_RETRY_FIRST_MS;
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        await this.dataSource.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]);
        if (attempt > 1) {
          this.logger.log(`notified other replicas of a ${topic} change (attempt ${attempt})`);
        }
        return;
      } catch (error) {
        if (attempt === 1) {
          this.logger.warn(`could not notify other replicas of a ${topic} change yet, retrying: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      if (Date.now() >= giveUpAt) {
        this.logger.error(`gave up notifying other replicas of a ${topic} change after ${attempt} attempts: they drop it when their caches expire`);
        return;
      }
      // Unreferenced: a retry pending at shutdown does not keep the process alive.
      await sleep(delayMs, undefined, { ref: false });
      delayMs = Math.min(delayMs * 2, NOTIFY_RETRY_MAX_MS);
    }
  }

  private receive(payload: string | undefined): void {
    try {
      const message = JSON.parse(payload ?? '') as Change & { origin?: string };
      if (message.origin !== this.origin && typeof message.topic === 'string' && typeof message.id === 'string') {
        this.dispatch({ topic: message.topic, id: message.id });
      }
    } catch {
      this.logger.warn('ignored a malformed change notification');
    }
  }

  private dispatch(change: Change): void {
    for (const handler of this.handlers) {
      try {
        handler(change);
      } catch (error) {
        this.logger.error({ err: error }, 'a change handler failed');
      }
    }
  }
}

/** Calls `lost` unless the listening connection answers a query within one heartbeat. */
function probe(client: Client, lost: () => void): void {
  const silent = setTimeout(lost, HEARTBEAT_MS);
  client.query('SELECT 1').then(
    () => clearTimeout(silent),
    () => lost(),
  );
}
