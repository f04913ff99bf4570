/**
 * Event delivery throughput: how many owed events per second the delivery worker turns into signed webhook POSTs
 * answered 2xx (a local receiver that answers 204 at once), against a raw `pg` loop inserting the same events
 * (outbox row + delivery row, one transaction each) on the same database in the same run. The worker runs in this
 * process with its production code (claim with SKIP LOCKED, sign with Ed25519, POST, delete), EVENTS_DELIVERY_CONCURRENCY
 * 8, over 64 tenants (one tenant's events go one at a time, in order). Needs a PostgreSQL server: BENCH_DATABASE_URL,
 * else postgres://postgres@127.0.0.1:5432 (a temporary database is created and dropped); with neither it is skipped.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { EventDeliveryWorker } from '@app/events';
import { loadKeyring } from '@app/security';
import { buildDataSourceOptions, runMigrations } from '@app/service-core';
import { schema } from '../../apps/api/src/database/schema';
import { createTestKeysDir } from '../../test/support/test-keys';
import { defineSuite, describeSamples, median, ratio } from '../lib';

const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';
const TENANTS = 64;
const CONCURRENCY = 8;

export default defineSuite({
  name: 'event-delivery',
  description: 'webhook deliveries/s by the delivery worker (signed POSTs to a local receiver) vs a raw pg loop inserting the same events',
  async run(ctx) {
    const { config, log } = ctx;
    const server = process.env.BENCH_DATABASE_URL ?? DEFAULT_SERVER;
    const admin = new Client({ connectionString: server, connectionTimeoutMillis: 2000 });
    try {
      await admin.connect();
    } catch (error) {
      log(`skipped: no PostgreSQL server (${server} unreachable: ${String(error)})`);
      return;
    }
    const name = `bench_events_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(server);
    url.pathname = `/${name}`;
    const keysDir = createTestKeysDir();
    const receiver = createServer((req, res) => req.resume().on('end', () => res.writeHead(204).end()));
    const dataSource = new DataSource(buildDataSourceOptions(url.toString(), { poolSize: CONCURRENCY + 4, connectTimeoutMs: 5000, statementTimeoutMs: 60_000 }, schema));
    try {
      await dataSource.initialize();
      await runMigrations(dataSource, url.toString(), { lock: false });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      const target = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const [subscription] = await dataSource.query<{ id: string }[]>(`INSERT INTO event_subscriptions (url, events, created_by) VALUES ($1, '{tenant.*}', 'bench') RETURNING id`, [target]);
      const tenants = Array.from({ length: TENANTS }, () => randomUUID());
      const keyring = loadKeyring({ dir: keysDir, purpose: 'platform', development: false });
      const worker = new EventDeliveryWorker(dataSource, keyring, {
        allowInsecureTargets: true,
        deliveryTimeoutMs: 5000,
        concurrency: CONCURRENCY,
        maxAttempts: 10,
        retryBaseMs: 100,
        pollMs: 10,
        retentionDays: 7,
      });

      /** Raw inserts for `durationS`: events/s, each an outbox row and its delivery in one transaction. */
      const insertLoop = async (durationS: number): Promise<{ perSec: number; count: number }> => {
        const deadline = performance.now() + durationS * 1000;
        const started = performance.now();
        let count = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (performance.now() < deadline) {
              const tenant = tenants[count % TENANTS]!;
              await dataSource.transaction(async (tx) => {
                const [event] = await tx.query<{ id: string }[]>(`INSERT INTO event_outbox (type, tenant_id, data) VALUES ('tenant.updated', $1, $2::jsonb) RETURNING id`, [
                  tenant,
                  JSON.stringify({ id: tenant, slug: 'bench', name: 'Bench', status: 'ACTIVE' }),
                ]);
                await tx.query(`INSERT INTO event_deliveries (subscription_id, event_id, tenant_id) VALUES ($1, $2, $3)`, [subscription!.id, event!.id, tenant]);
              });
              count++;
            }
          }),
        );
        return { perSec: (count / (performance.now() - started)) * 1000, count };
      };
      /** Runs the worker until nothing is owed: delivered events/s. */
      const drain = async (owed: number): Promise<number> => {
        const started = performance.now();
        for (;;) {
          await worker.tick();
          const [row] = await dataSource.query<{ n: string }[]>(`SELECT count(*) AS n FROM event_deliveries`);
          if (Number(row!.n) === 0) {
            return (owed / (performance.now() - started)) * 1000;
          }
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      };

      const inserted: number[] = [];
      const delivered: number[] = [];
      for (let round = 0; round < config.rounds; round++) {
        const raw = await insertLoop(config.durationS);
        const rate = await drain(raw.count);
        inserted.push(raw.perSec);
        delivered.push(rate);
        log(`round ${round + 1}/${config.rounds}: raw insert ${raw.perSec.toFixed(0)} events/s (${raw.count}), delivered ${rate.toFixed(0)} events/s`);
      }
      await worker.onApplicationShutdown();
      ctx.record({
        metric: `webhook deliveries (${TENANTS} tenants, concurrency ${CONCURRENCY})`,
        unit: 'events/s',
        value: median(delivered),
        baseline: median(inserted),
        baselineName: 'raw pg: insert outbox + delivery rows',
        ratio: ratio(median(delivered), median(inserted)),
        better: 'higher',
        samples: delivered,
        baselineSamples: inserted,
        note: `target ${describeSamples(delivered)}; baseline ${describeSamples(inserted)}`,
      });
    } finally {
      receiver.close();
      await dataSource.destroy().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
      rmSync(keysDir, { recursive: true, force: true });
    }
  },
});
