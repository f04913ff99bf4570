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

/**
 * Cross-replica change notifications: PostgreSQL LISTEN/NOTIFY on a real server, an in-process bus
 * on embedded PostgreSQL (one process). Local subscribers hear a change immediately; other replicas
 * within the NOTIFY round trip. When the listening connection is (re)established, `onResync`
 * handlers run — notifications sent while it was down are lost, so caches must be flushed then.
 */
@Injectable()
export class ChangeBus implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ChangeBus.name);
  private readonly origin = randomUUID();
  private readonly handlers = new Set<ChangeHandler>();
  private readonly resyncHandlers = new Set<() => void>();
  private listener?: Client;
  private stopped = false;

  constructor(
    private readonly endpoint: DatabaseEndpoint,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  subscribe(handler: ChangeHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  onResync(handler: () => void): () => void {
    this.resyncHandlers.add(handler);
    return () => this.resyncHandlers.delete(handler);
  }

  /** Tells this instance now and the others through NOTIFY. Never throws: the caches' hard TTL is the backstop. */
  publish(change: Change): void {
    this.dispatch(change);
    if (this.endpoint.isEmbedded) {
      return;
    }
    this.dataSource.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ ...change, origin: this.origin })]).catch((error: unknown) => {
      this.logger.warn(`could not notify other replicas of a ${change.topic} change: ${error instanceof Error ? error.message : String(error)}`);
    });
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
      const closed = new Promise<void>((resolve) => {
        client.once('end', resolve);
        client.once('error', () => resolve());
      });
      try {
        await client.connect();
        client.on('notification', (message) => this.receive(message.payload));
        await client.query(`LISTEN ${CHANNEL}`);
        this.listener = client;
        delayMs = 250;
        this.resync();
        await closed;
      } catch (error) {
        this.logger.warn(`change listener: ${error instanceof Error ? error.message : String(error)}`);
      }
      await client.end().catch(() => undefined);
      if (!this.stopped) {
        // Whatever was notified while disconnected is unknown: flush now, and again on reconnect.
        this.resync();
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, 5000);
      }
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

  private resync(): void {
    for (const handler of this.resyncHandlers) {
      handler();
    }
  }
}
