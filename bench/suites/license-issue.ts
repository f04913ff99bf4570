/**
 * License issuing, two comparisons in the same run:
 * 1. POST /api/tenants/:id/license end to end over HTTP (compiled app, real PostgreSQL, dev IdP operator token)
 *    against a raw `pg` loop doing the same writes (lock the tenant row, supersede the CURRENT license, insert the
 *    new one, in one transaction) with the same concurrency on the same database. Both hit one tenant, so both are
 *    serialized by the tenant row lock; the ratio is what HTTP, auth, validation and signing cost on top of the SQL.
 * 2. Signing a license token (licenseClaims + signLicenseClaims, what the service runs per issue and per refresh)
 *    against raw crypto.sign of the same signing input (compareOps).
 * The HTTP part needs a PostgreSQL server: BENCH_DATABASE_URL, else postgres://postgres@127.0.0.1:5432 (a
 * temporary database is created and dropped); with neither it is skipped with a message.
 */
import { randomBytes, randomUUID, sign as cryptoSign } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Client, Pool } from 'pg';
import { licenseClaims, signLicenseClaims } from '@app/licensing';
import { loadKeyring } from '@app/security';
import { startDevIdp, type DevIdp } from '../../test/support/dev-idp';
import { createTestKeysDir } from '../../test/support/test-keys';
import {
  compareOps,
  defineSuite,
  describeSamples,
  ensureBuild,
  interleave,
  median,
  prepareAppLaunch,
  ratio,
  runLoad,
  startApp,
  type BenchContext,
  type ChildServer,
  type LoadResult,
} from '../lib';

const DEFAULT_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';
const POOL_SIZE = 10;
const CONNECTIONS = 10;
const TIER = { features: ['tracing', 'metrics', 'logs', 'alerts', 'audit-log'], limits: { maxAgents: 50, maxEnvironments: 5, retentionDays: 30, maxUsers: 50 } };

export default defineSuite({
  name: 'license-issue',
  description: 'POST /api/tenants/:id/license on real PostgreSQL vs a raw pg loop of the same writes; token signing vs crypto.sign',
  async run(ctx) {
    const keysDir = createTestKeysDir();
    try {
      await signingComparison(ctx, keysDir);
      await issuingComparison(ctx, keysDir);
    } finally {
      rmSync(keysDir, { recursive: true, force: true });
    }
  },
});

async function signingComparison(ctx: BenchContext, keysDir: string): Promise<void> {
  const keyring = loadKeyring({ dir: keysDir, purpose: 'license', development: false });
  const input = {
    licenseId: randomUUID(),
    tenantId: randomUUID(),
    tenantSlug: 'bench-tenant',
    tier: 'pro',
    ...TIER,
    endsAt: new Date(Date.now() + 365 * 86_400_000),
    graceDays: 14,
  };
  const settings = { issuer: 'https://cameleer.local', audience: 'cameleer3-server', ttlSeconds: 30 * 86_400 };
  const token = await signLicenseClaims(licenseClaims(input, settings, new Date()), keyring.current);
  const [header = '', payload = ''] = token.split('.');
  const signingInput = Buffer.from(`${header}.${payload}`, 'ascii');
  const cmp = await compareOps(
    { name: 'license token (claims + jose sign)', fn: () => signLicenseClaims(licenseClaims(input, settings, new Date()), keyring.current) },
    { name: 'crypto.sign (Ed25519)', fn: () => cryptoSign(null, signingInput, keyring.current.privateKey) },
    { rounds: 5 },
  );
  ctx.log(`signing: ${cmp.candidate.opsPerSec.toFixed(0)} vs ${cmp.baseline.opsPerSec.toFixed(0)} ops/s (ratio ${cmp.ratio.toFixed(3)}), token ${token.length} bytes`);
  ctx.record({
    metric: 'sign a license token',
    unit: 'ops/s',
    value: cmp.candidate.opsPerSec,
    baseline: cmp.baseline.opsPerSec,
    baselineName: 'crypto.sign of the same input',
    ratio: cmp.ratio,
    better: 'higher',
    samples: cmp.candidate.samples,
    baselineSamples: cmp.baseline.samples,
    note: `target ${describeSamples(cmp.candidate.samples)}; baseline ${describeSamples(cmp.baseline.samples)}`,
  });
}

/** A database of our own on the bench server, or undefined (with the reason logged) when there is none. */
async function benchDatabase(log: (message: string) => void): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const explicit = process.env.BENCH_DATABASE_URL;
  if (explicit) {
    return { url: explicit, drop: () => Promise.resolve() };
  }
  const admin = new Client({ connectionString: DEFAULT_SERVER, connectionTimeoutMillis: 2000 });
  try {
    await admin.connect();
  } catch (error) {
    log(`skipped the HTTP comparison: no PostgreSQL server (BENCH_DATABASE_URL unset, ${DEFAULT_SERVER} unreachable: ${String(error)})`);
    return undefined;
  }
  const name = `bench_license_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(DEFAULT_SERVER);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: DEFAULT_SERVER });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

/** The same writes as LicensingService.issue, straight through pg: ops/s over `durationS` with `workers` in parallel. */
async function rawIssueLoop(pool: Pool, tenantId: string, durationS: number, workers: number): Promise<number> {
  const deadline = performance.now() + durationS * 1000;
  let done = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (performance.now() < deadline) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT id, slug, status FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, [tenantId]);
        await client.query(`UPDATE licenses SET state = 'SUPERSEDED' WHERE tenant_id = $1 AND state = 'CURRENT' RETURNING id`, [tenantId]);
        await client.query(
          `INSERT INTO licenses (tenant_id, tier, features, limits, starts_at, ends_at, grace_days, state, issued_by, created_at)
           VALUES ($1, 'pro', $2::jsonb, $3::jsonb, $4, $5, 14, 'CURRENT', 'bench:raw', clock_timestamp()) RETURNING *`,
          [tenantId, JSON.stringify(TIER.features), JSON.stringify(TIER.limits), new Date(), new Date(Date.now() + 365 * 86_400_000)],
        );
        await client.query(`INSERT INTO audit_events (tenant_id, actor, action, target_id, source_ip) VALUES ($1, 'bench:raw', 'license.issued', $2, '127.0.0.1')`, [
          tenantId,
          tenantId,
        ]);
        await client.query('COMMIT');
        done += 1;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, () => worker()));
  return (done / (performance.now() - started)) * 1000;
}

async function issuingComparison(ctx: BenchContext, keysDir: string): Promise<void> {
  const { config, log } = ctx;
  const database = await benchDatabase(log);
  if (database === undefined) {
    return;
  }
  const launch = prepareAppLaunch(config.repoRoot);
  let idp: DevIdp | undefined;
  let app: ChildServer | undefined;
  const pool = new Pool({ connectionString: database.url, max: POOL_SIZE });
  // A connection dropped under it (server restart, DROP DATABASE … FORCE) must not crash the harness.
  pool.on('error', (error) => log(`pg pool: ${error.message}`));
  try {
    ensureBuild(config.repoRoot, launch.entry, log);
    idp = await startDevIdp();
    delete launch.env.CAMELEER_DEV;
    delete launch.env.EMBEDDED_DB_DIR;
    Object.assign(launch.env, {
      DATABASE_URL: database.url,
      DB_POOL_SIZE: String(POOL_SIZE),
      KEYS_DIR: keysDir,
      LOGTO_ENDPOINT: idp.endpoint,
      LOGTO_API_RESOURCE: idp.apiResource,
      RATE_LIMIT_MAX: '1000000000',
      DEFAULT_TENANT_SLUG: '',
      DEFAULT_TENANT_NAME: '',
    });
    app = await startApp(launch, config.repoRoot);
    log(`app: ${launch.entry} on ${new URL(database.url).pathname.slice(1)} (migrated at boot), dev IdP ${idp.endpoint}`);

    const token = await idp.mintUserToken({ sub: 'bench-operator', scopes: ['platform:read', 'platform:write'], expiresIn: 3600 });
    const tenant = async (slug: string): Promise<string> => {
      const id = randomUUID();
      await pool.query(`INSERT INTO tenants (id, slug, name, status, logto_organization_id, provisioning_marker) VALUES ($1, $2, $3, 'ACTIVE', $4, $5)`, [
        id,
        slug,
        slug,
        `org_${slug}`,
        randomBytes(32).toString('base64url'),
      ]);
      return id;
    };
    const suffix = randomBytes(3).toString('hex');
    const httpTenant = await tenant(`bench-http-${suffix}`);
    const rawTenant = await tenant(`bench-raw-${suffix}`);
    const url = `${app.url}/api/tenants/${httpTenant}/license`;
    const request = { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"tier":"pro"}' };
    const load = (durationS: number): Promise<LoadResult> =>
      runLoad({ ...request, url, durationS, connections: CONNECTIONS, threads: config.threads, generator: config.generator });

    log(`warm-up (${config.warmupS} s each)`);
    await load(config.warmupS);
    await rawIssueLoop(pool, rawTenant, config.warmupS, CONNECTIONS);

    const results = await interleave<LoadResult | number>(
      [
        { name: 'http', run: () => load(config.durationS) },
        { name: 'raw', run: () => rawIssueLoop(pool, rawTenant, config.durationS, CONNECTIONS) },
      ],
      config.rounds,
      (name, round, result) =>
        log(
          typeof result === 'number'
            ? `round ${round + 1}/${config.rounds} raw pg: ${result.toFixed(0)} tx/s`
            : `round ${round + 1}/${config.rounds} HTTP: ${result.requestsPerSec.toFixed(0)} req/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, errors ${result.errors}, non-2xx ${result.non2xx}`,
        ),
    );
    const http = (results.get('http') ?? []) as LoadResult[];
    const raw = (results.get('raw') ?? []) as number[];
    const httpRps = http.map((r) => r.requestsPerSec);
    const failures = http.reduce((sum, r) => sum + r.errors + r.non2xx, 0);

    // The invariant must hold after the storm, or the figures describe a broken system.
    const current = await pool.query<{ tenant_id: string; n: string }>(
      `SELECT tenant_id, count(*) AS n FROM licenses WHERE state = 'CURRENT' AND tenant_id = ANY($1) GROUP BY tenant_id`,
      [[httpTenant, rawTenant]],
    );
    const invariant = current.rows.length === 2 && current.rows.every((row) => Number(row.n) === 1);
    const issued = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM licenses WHERE tenant_id = $1`, [httpTenant]);
    log(`licenses issued over HTTP: ${issued.rows[0]?.n}; one CURRENT per tenant: ${invariant ? 'yes' : 'NO'}`);
    if (!invariant) {
      throw new Error('more or fewer than one CURRENT license per tenant after the run');
    }

    ctx.record({
      metric: `POST /api/tenants/:id/license throughput (one tenant, ${CONNECTIONS} connections)`,
      unit: 'req/s',
      value: median(httpRps),
      baseline: median(raw),
      baselineName: `raw pg: lock + supersede + insert, ${CONNECTIONS} workers`,
      ratio: ratio(median(httpRps), median(raw)),
      better: 'higher',
      samples: httpRps,
      baselineSamples: raw,
      note: `target ${describeSamples(httpRps)}; baseline ${describeSamples(raw)}; database ${launch.env.BENCH_DATABASE_URL ? 'BENCH_DATABASE_URL' : 'local server, temp db'}`,
    });
    ctx.record({ metric: 'POST license p50 latency', unit: 'ms', value: median(http.map((r) => r.p50Ms)), samples: http.map((r) => r.p50Ms) });
    ctx.record({ metric: 'POST license p99 latency', unit: 'ms', value: median(http.map((r) => r.p99Ms)), samples: http.map((r) => r.p99Ms) });
    ctx.record({ metric: 'POST license errors / non-2xx', unit: '', value: failures, note: 'summed over all rounds; anything but 0 voids the throughput row' });
  } finally {
    await app?.stop();
    await idp?.stop();
    await pool.end();
    launch.cleanup();
    await database.drop();
  }
}
