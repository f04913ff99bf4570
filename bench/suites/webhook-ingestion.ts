/**
 * Logto webhook ingestion: signed `User.SuspensionStatus.Updated` deliveries per second through POST
 * /api/webhooks/logto (HMAC of the raw body, strict parse, the handler's revocation: one principal_revocations row
 * written and broadcast per delivery), against a raw `pg` loop inserting the same revocation rows on the same database
 * in the same run. The app runs in this process (createApp, as the e2e tests boot it) with 8 deliveries in flight,
 * each for another user; the baseline uses 8 connections. Needs a PostgreSQL server: BENCH_DATABASE_URL, else
 * postgres://postgres@127.0.0.1:5432 (a temporary database is created and dropped); with neither it is skipped.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { logtoSignature } from '@app/logto-webhooks';
import { createApp } from '../../apps/api/src/configure-app';
import { createTestKeysDir } from '../../test/support/test-keys';
import { defineSuite, describeSamples, median, ratio } from '../lib';

const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';
const CONCURRENCY = 8;
const SIGNING_KEY = randomBytes(24).toString('hex');

export default defineSuite({
  name: 'webhook-ingestion',
  description: 'signed Logto webhook deliveries/s through POST /api/webhooks/logto (verify, parse, revoke) vs a raw pg loop inserting the same revocation rows',
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
    const name = `bench_webhooks_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = new URL(server);
    url.pathname = `/${name}`;
    const keysDir = createTestKeysDir();
    const app = await createApp({
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        DATABASE_URL: url.toString(),
        KEYS_DIR: keysDir,
        PUBLIC_URL: 'http://127.0.0.1:3000',
        DB_POOL_SIZE: String(CONCURRENCY + 4),
        LOGTO_WEBHOOK_SIGNING_KEY: SIGNING_KEY,
        LOGTO_WEBHOOK_RATE_LIMIT_MAX: '100000',
        DEFAULT_TENANT_SLUG: '',
        DEFAULT_TENANT_NAME: '',
      },
    });
    const baseline = new Client({ connectionString: url.toString() });
    const pool = Array.from({ length: CONCURRENCY }, () => new Client({ connectionString: url.toString() }));
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const target = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/api/webhooks/logto`;
      await Promise.all([baseline, ...pool].map((client) => client.connect()));
      await baseline.query(`CREATE TABLE bench_revocations (LIKE principal_revocations INCLUDING ALL)`);
      const runId = randomBytes(3).toString('hex');
      let serial = 0;
      const nextUser = (): string => `b${runId}${(++serial).toString(36)}`;

      /** Signed deliveries for `durationS` with CONCURRENCY in flight; deliveries/s (a non-204 stops the run). */
      const deliver = async (durationS: number): Promise<{ perSec: number; count: number }> => {
        const deadline = performance.now() + durationS * 1000;
        const started = performance.now();
        let count = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (performance.now() < deadline) {
              const userId = nextUser();
              const body = JSON.stringify({
                event: 'User.SuspensionStatus.Updated',
                createdAt: new Date().toISOString(),
                userAgent: 'bench',
                ip: '127.0.0.1',
                path: `/api/users/${userId}/is-suspended`,
                method: 'PATCH',
                status: 200,
                params: { userId },
                matchedRoute: '/users/:userId/is-suspended',
                data: { id: userId, username: userId, isSuspended: true },
                hookId: 'benchhook',
              });
              const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', 'logto-signature-sha-256': logtoSignature(SIGNING_KEY, body) }, body });
              await response.arrayBuffer();
              if (response.status !== 204) {
                throw new Error(`a delivery was answered ${response.status}`);
              }
              count++;
            }
          }),
        );
        return { perSec: (count / (performance.now() - started)) * 1000, count };
      };
      /** The same rows by raw INSERT (PrincipalRevocations' upsert), CONCURRENCY connections, for `durationS`. */
      const insertLoop = async (durationS: number): Promise<{ perSec: number; count: number }> => {
        const deadline = performance.now() + durationS * 1000;
        const started = performance.now();
        let count = 0;
        await Promise.all(
          pool.map(async (client) => {
            while (performance.now() < deadline) {
              await client.query(
                `INSERT INTO bench_revocations (organization_id, user_id, reason, revoked_at, expires_at) VALUES (NULL, $1, 'user_suspended', now(), now() + interval '1 day')
                 ON CONFLICT (organization_id, user_id) DO UPDATE SET revoked_at = EXCLUDED.revoked_at, expires_at = EXCLUDED.expires_at`,
                [nextUser()],
              );
              count++;
            }
          }),
        );
        return { perSec: (count / (performance.now() - started)) * 1000, count };
      };

      await deliver(config.warmupS);
      await insertLoop(config.warmupS);
      const delivered: number[] = [];
      const inserted: number[] = [];
      for (let round = 0; round < config.rounds; round++) {
        const through = await deliver(config.durationS);
        const raw = await insertLoop(config.durationS);
        delivered.push(through.perSec);
        inserted.push(raw.perSec);
        log(`round ${round + 1}/${config.rounds}: webhook ${through.perSec.toFixed(0)} deliveries/s (${through.count}), raw insert ${raw.perSec.toFixed(0)} rows/s (${raw.count})`);
      }
      ctx.record({
        metric: `signed webhook deliveries (${CONCURRENCY} in flight)`,
        unit: 'deliveries/s',
        value: median(delivered),
        baseline: median(inserted),
        baselineName: 'raw pg: upsert the revocation row',
        ratio: ratio(median(delivered), median(inserted)),
        better: 'higher',
        samples: delivered,
        baselineSamples: inserted,
        note: `target ${describeSamples(delivered)}; baseline ${describeSamples(inserted)}`,
      });
    } finally {
      await Promise.all([baseline, ...pool].map((client) => client.end().catch(() => undefined)));
      await app.close().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
      rmSync(keysDir, { recursive: true, force: true });
    }
  },
});
