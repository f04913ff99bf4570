/**
 * POST /api/tenants on the compiled API (child process) against a dev identity provider: per-request latency
 * p50/p99 and creates/s, sequential and with several requests in flight, and the share of a create spent
 * waiting on Logto.
 *
 * A create commits the tenant row (PROVISIONING), then provisions its Logto organization synchronously within
 * the request (POST /api/organizations; with an owner also GET /api/users/:id before it (the service checks the
 * owner once more before the insert), GET /api/organization-roles, POST .../users and POST .../users/roles), then
 * marks the row ACTIVE. The share waiting on Logto is measured two ways:
 *
 * - in-request (the share rows' value, sequential runs): the app reaches the Management API through
 *   LOGTO_INTERNAL_URL = a pass-through proxy in the bench process that times every call; a create's Logto time
 *   is the sum of the calls inside it, share = median over creates of Logto time / create latency. The proxy
 *   adds one loopback hop per Logto call to every create (well under a millisecond each).
 * - bench-side (in the notes, and the only measure at 8 in flight): the same Management API calls, in the same
 *   order, with the same kind of M2M token and fetch, against the same dev IdP, interleaved with the creates;
 *   share = Logto round trip p50 / create p50.
 *
 * Baseline: a raw `pg` INSERT of a tenant-like row (the repository's INSERT ... RETURNING *, in BEGIN/COMMIT)
 * into a copy of the `tenants` table (LIKE tenants INCLUDING ALL: same columns, defaults, indexes) in the app's
 * own database (BENCH_DATABASE_URL, or the embedded PGlite, found through the app's listening sockets).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { MANAGEMENT_API_RESOURCE, startDevIdp, type DevIdp } from '../../test/support/dev-idp';
import {
  defineSuite,
  describeSamples,
  ensureBuild,
  interleave,
  percentile,
  prepareAppLaunch,
  ratio,
  startApp,
  type AppLaunch,
  type BenchContext,
  type ChildServer,
} from '../lib';

const CONCURRENCY = 8;
const OWNER_ROLE = 'owner';
const BASELINE_TABLE = 'bench_tenant_create_baseline';
/** The repository's INSERT (libs/tenants/src/tenants.repository.ts), aimed at the baseline table. */
const BASELINE_INSERT = `INSERT INTO ${BASELINE_TABLE} (slug, name, owner_user_id, status, pending_logto_action, sync_attempts, next_sync_at, provisioning_marker)
  VALUES ($1, $2, $3, 'PROVISIONING', 'PROVISION', 1, now() + make_interval(secs => $4::double precision / 1000), $5)
  RETURNING *`;

/** One batch of operations: per-operation latency (ms), wall time, failures (non-201 / non-2xx / thrown). */
interface Batch {
  latencies: number[];
  wallMs: number;
  failures: number;
  failureExamples: string[];
}

/** One operation; returns undefined when it succeeded, else a short description of the failure. */
type Operation = () => Promise<string | undefined>;

interface Pooled {
  latencies: number[];
  wallMs: number;
  failures: number;
  failureExamples: string[];
  /** Per-round p50s, for the spread note. */
  roundP50s: number[];
}

export default defineSuite({
  name: 'tenant-create',
  description: 'POST /api/tenants latency p50/p99 and creates/s (sequential, 8 in flight); share spent waiting on Logto; vs raw pg INSERT',
  async run(ctx) {
    const { config, log } = ctx;
    const perVariant = config.quick ? 50 : 200;
    const rounds = Math.max(1, config.rounds);
    const perRound = Math.ceil(perVariant / rounds);
    const warmup = config.quick ? 3 : 10;
    const launch = prepareAppLaunch(config.repoRoot);
    let idp: DevIdp | undefined;
    let app: ChildServer | undefined;
    let db: Client | undefined;
    let proxy: TimingProxy | undefined;
    try {
      idp = await startDevIdp();
      const m2m = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
      const managementToken = await idp.clientCredentialsToken({ ...m2m, resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
      const logto = managementApi(idp.endpoint, managementToken);
      const ownerRoleId = await ensureOwnerRole(logto);
      // Owners must be Logto users (the API checks before it creates anything): one for every create with an owner.
      const ownerUserId = String(((await logto('POST', '/users', { username: `bench_owner_${randomBytes(4).toString('hex')}` })) as { id: string }).id);
      proxy = await startTimingProxy(idp.endpoint);
      Object.assign(launch.env, {
        LOGTO_ENDPOINT: idp.endpoint,
        // The app's Management API calls go through a pass-through proxy in this process that times each one.
        LOGTO_INTERNAL_URL: proxy.url,
        LOGTO_API_RESOURCE: idp.apiResource,
        LOGTO_M2M_APP_ID: m2m.clientId,
        LOGTO_M2M_APP_SECRET: m2m.clientSecret,
        RATE_LIMIT_MAX: '100000000',
        LOG_LEVEL: 'warn',
        // Keep the periodic full Logto scan out of the measured window (the 10 s reconcile tick stays).
        TENANT_DRIFT_INTERVAL_MS: '3600000',
      });
      ensureBuild(config.repoRoot, launch.entry, log);
      log(`app: ${launch.entry} (database: ${launch.database}), dev IdP ${idp.endpoint}`);
      app = await startApp(launch, config.repoRoot);
      const appUrl = app.url;
      const operator = await idp.mintUserToken({ sub: 'bench-op', scopes: ['platform:read', 'platform:write'], expiresIn: 3600 });

      db = await connectBaselineDatabase(launch, app, log);
      if (db !== undefined) {
        await db.query(`DROP TABLE IF EXISTS ${BASELINE_TABLE}`);
        await db.query(`CREATE TABLE ${BASELINE_TABLE} (LIKE tenants INCLUDING ALL)`);
      }

      const runId = randomBytes(4).toString('hex');
      let serial = 0;
      const nextSlug = (kind: string): string => `b${runId}-${kind}-${++serial}`;
      const timingProxy = proxy;
      const inRequest = new Map<string, InRequest[]>([
        ['create', []],
        ['create+owner', []],
      ]);
      let observe = false;
      const create = (withOwner: boolean): Operation => async () => {
        const started = performance.now();
        const failure = await postTenant(withOwner);
        const ended = performance.now();
        if (observe) {
          // Sequential only: every proxied call inside [started, ended] belongs to this create.
          const calls = timingProxy.takeCalls().filter((c) => c.start >= started && c.end <= ended);
          inRequest.get(withOwner ? 'create+owner' : 'create')?.push({
            totalMs: ended - started,
            logtoMs: calls.reduce((sum, c) => sum + (c.end - c.start), 0),
            calls: calls.length,
          });
        }
        return failure;
      };
      const postTenant = async (withOwner: boolean): Promise<string | undefined> => {
        const slug = nextSlug(withOwner ? 'o' : 't');
        const response = await fetch(`${appUrl}/api/tenants`, {
          method: 'POST',
          headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
          body: JSON.stringify({ slug, name: `Bench ${slug}`, ...(withOwner ? { ownerUserId } : {}) }),
        });
        const text = await response.text();
        return response.status === 201 ? undefined : `${response.status} ${text.slice(0, 200)}`;
      };
      // What TenantLogtoSync.provision does for a new tenant, call for call.
      const logtoProvision = (withOwner: boolean): Operation => async () => {
        const slug = nextSlug(withOwner ? 'lo' : 'l');
        if (withOwner) {
          await logto('GET', `/users/${ownerUserId}`);
        }
        const customData = { tenantId: randomUuidLike(), slug, provisioningMarker: randomBytes(32).toString('base64url') };
        const organization = await logto('POST', '/organizations', { name: `Bench ${slug}`, customData });
        if (typeof organization !== 'object' || organization === null || !('id' in organization)) {
          return `POST /organizations: ${JSON.stringify(organization).slice(0, 200)}`;
        }
        if (withOwner) {
          const organizationId = String(organization.id);
          const userId = ownerUserId;
          const roles = (await logto('GET', '/organization-roles?page=1&page_size=100')) as { id: string; name: string }[];
          if (!roles.some((role) => role.id === ownerRoleId)) {
            return 'the owner role is missing';
          }
          await logto('POST', `/organizations/${organizationId}/users`, { userIds: [userId] });
          await logto('POST', `/organizations/${organizationId}/users/roles`, { userIds: [userId], organizationRoleIds: [ownerRoleId] });
        }
        return undefined;
      };
      const baselineDb = db;
      const pgInsert: Operation | undefined =
        baselineDb === undefined
          ? undefined
          : async () => {
              const slug = nextSlug('p');
              await baselineDb.query('BEGIN');
              try {
                await baselineDb.query(BASELINE_INSERT, [slug, `Bench ${slug}`, null, 60_000, randomBytes(32).toString('base64url')]);
                await baselineDb.query('COMMIT');
              } catch (error) {
                await baselineDb.query('ROLLBACK');
                return String(error);
              }
              return undefined;
            };

      // Unmeasured warm-up of every path (JIT, token caches, connection pools, prepared role lookup).
      for (const op of [create(false), create(true), logtoProvision(false), logtoProvision(true), ...(pgInsert ? [pgInsert] : [])]) {
        const warm = await runBatch(op, warmup, 1);
        if (warm.failures > 0) {
          throw new Error(`warm-up failed: ${warm.failureExamples.join('; ')}`);
        }
      }

      // Sequential: one request at a time, variants interleaved round by round so drift hits all alike.
      timingProxy.takeCalls();
      observe = true;
      log(`sequential: ${perRound * rounds} per variant in ${rounds} interleaved rounds`);
      const sequential = await measure(
        ctx,
        [
          { name: 'create', op: create(false) },
          { name: 'create+owner', op: create(true) },
          { name: 'logto', op: logtoProvision(false) },
          { name: 'logto+owner', op: logtoProvision(true) },
          ...(pgInsert ? [{ name: 'pg', op: pgInsert }] : []),
        ],
        perRound,
        rounds,
        1,
      );
      observe = false;
      log(`concurrent: ${perRound * rounds} per variant, ${CONCURRENCY} in flight, ${rounds} interleaved rounds`);
      const concurrent = await measure(
        ctx,
        [
          { name: 'create', op: create(false) },
          { name: 'logto', op: logtoProvision(false) },
        ],
        perRound,
        rounds,
        CONCURRENCY,
      );

      recordRows(ctx, sequential, concurrent, inRequest);
    } finally {
      if (db !== undefined) {
        await db.query(`DROP TABLE IF EXISTS ${BASELINE_TABLE}`).catch(() => undefined);
        await db.end().catch(() => undefined);
      }
      await app?.stop();
      await proxy?.stop();
      await idp?.stop();
      launch.cleanup();
    }
  },
});

function recordRows(
  ctx: BenchContext,
  sequential: Map<string, Pooled>,
  concurrent: Map<string, Pooled>,
  inRequest: Map<string, InRequest[]>,
): void {
  const get = (m: Map<string, Pooled>, name: string): Pooled => {
    const pooled = m.get(name);
    if (pooled === undefined) {
      throw new Error(`no samples for ${name}`);
    }
    return pooled;
  };
  const p50 = (p: Pooled): number => percentile(p.latencies, 50);
  const p99 = (p: Pooled): number => percentile(p.latencies, 99);
  const perSecond = (p: Pooled): number => (p.latencies.length * 1000) / p.wallMs;
  const spread = (p: Pooled): string => `${p.latencies.length} requests; per-round p50 ${describeSamples(p.roundP50s)}`;

  const create = get(sequential, 'create');
  const createOwner = get(sequential, 'create+owner');
  const logto = get(sequential, 'logto');
  const logtoOwner = get(sequential, 'logto+owner');
  const pg = sequential.get('pg');
  const createC = get(concurrent, 'create');
  const logtoC = get(concurrent, 'logto');

  // Sequential, without owner: against the raw INSERT when the database was reachable, else against Logto.
  const base = pg ?? logto;
  const baseName = pg ? 'raw pg INSERT txn' : 'Logto POST /organizations';
  const baseNote = pg ? '' : ' (database not reachable: baseline is the Logto round trip)';
  ctx.record({
    metric: 'POST /api/tenants p50, sequential',
    unit: 'ms',
    value: p50(create),
    baseline: p50(base),
    baselineName: baseName,
    ratio: ratio(p50(create), p50(base)),
    better: 'lower',
    samples: create.roundP50s,
    baselineSamples: base.roundP50s,
    note: `no owner; ${spread(create)}${baseNote}`,
  });
  ctx.record({
    metric: 'POST /api/tenants p99, sequential',
    unit: 'ms',
    value: p99(create),
    baseline: p99(base),
    baselineName: baseName,
    ratio: ratio(p99(create), p99(base)),
    better: 'lower',
    note: `no owner; p99 of ${create.latencies.length} requests`,
  });
  ctx.record({
    metric: 'creates/s, sequential',
    unit: 'ops/s',
    value: perSecond(create),
    baseline: perSecond(base),
    baselineName: baseName,
    ratio: ratio(perSecond(create), perSecond(base)),
    better: 'higher',
    note: 'one request at a time, no owner',
  });
  // Share, no owner: Logto time seen by the proxy inside each create, and the bench's own round trip.
  const observed = inRequest.get('create') ?? [];
  const observedOwner = inRequest.get('create+owner') ?? [];
  ctx.record({
    metric: 'Logto round trip p50, sequential',
    unit: 'ms',
    value: p50(logto),
    baseline: p50(create),
    baselineName: 'POST /api/tenants p50',
    ratio: ratio(p50(logto), p50(create)),
    note: `POST /organizations from the bench (same IdP, M2M token, fetch); ${spread(logto)}`,
  });
  recordShare(ctx, 'share waiting on Logto, sequential', observed, p50(logto), p50(create));

  // With an owner: four Logto calls per create.
  ctx.record({
    metric: 'POST /api/tenants p50, sequential, with owner',
    unit: 'ms',
    value: p50(createOwner),
    baseline: p50(logtoOwner),
    baselineName: 'Logto 4 calls (org, roles, user, role)',
    ratio: ratio(p50(createOwner), p50(logtoOwner)),
    better: 'lower',
    samples: createOwner.roundP50s,
    baselineSamples: logtoOwner.roundP50s,
    note: `p99 ${p99(createOwner).toFixed(2)} ms; ${spread(createOwner)}`,
  });
  recordShare(ctx, 'share waiting on Logto, with owner', observedOwner, p50(logtoOwner), p50(createOwner));

  // 8 in flight: against the same Logto call at 8 in flight.
  ctx.record({
    metric: `POST /api/tenants p50, ${CONCURRENCY} in flight`,
    unit: 'ms',
    value: p50(createC),
    baseline: p50(logtoC),
    baselineName: `Logto POST /organizations, ${CONCURRENCY} in flight`,
    ratio: ratio(p50(createC), p50(logtoC)),
    better: 'lower',
    samples: createC.roundP50s,
    baselineSamples: logtoC.roundP50s,
    note: `no owner; ${spread(createC)}`,
  });
  ctx.record({
    metric: `POST /api/tenants p99, ${CONCURRENCY} in flight`,
    unit: 'ms',
    value: p99(createC),
    baseline: p99(logtoC),
    baselineName: `Logto POST /organizations, ${CONCURRENCY} in flight`,
    ratio: ratio(p99(createC), p99(logtoC)),
    better: 'lower',
    note: `p99 of ${createC.latencies.length} requests`,
  });
  ctx.record({
    metric: `creates/s, ${CONCURRENCY} in flight`,
    unit: 'ops/s',
    value: perSecond(createC),
    baseline: perSecond(logtoC),
    baselineName: `Logto POST /organizations, ${CONCURRENCY} in flight`,
    ratio: ratio(perSecond(createC), perSecond(logtoC)),
    better: 'higher',
    note: `${ratio(perSecond(createC), perSecond(create)).toFixed(2)}x the sequential creates/s`,
  });
  ctx.record({
    metric: `share waiting on Logto, ${CONCURRENCY} in flight`,
    unit: '%',
    value: ratio(p50(logtoC), p50(createC)) * 100,
    note: `bench-side: Logto p50 ${p50(logtoC).toFixed(2)} ms / create p50 ${p50(createC).toFixed(2)} ms, both at ${CONCURRENCY} in flight`,
  });

  const creates = [create, createOwner, createC];
  const failures = creates.reduce((sum, p) => sum + p.failures, 0);
  const total = creates.reduce((sum, p) => sum + p.latencies.length, 0);
  const logtoFailures = [logto, logtoOwner, logtoC, ...(pg ? [pg] : [])].reduce((sum, p) => sum + p.failures, 0);
  const examples = [...creates, logto, logtoOwner, logtoC].flatMap((p) => p.failureExamples).slice(0, 2);
  ctx.record({
    metric: 'POST /api/tenants non-201',
    unit: '',
    value: failures,
    note: `of ${total} creates; baseline-side failures ${logtoFailures}${examples.length > 0 ? `; e.g. ${examples.join(' | ')}` : ''}`,
  });
}

/**
 * The share row: median over the creates of (Logto time the proxy saw inside the create / create latency), with
 * the bench-side estimate (Logto round trip p50 / create p50) in the note as a cross-check.
 */
function recordShare(ctx: BenchContext, metric: string, observed: InRequest[], benchLogtoP50: number, createP50: number): void {
  const shares = observed.map((o) => o.logtoMs / o.totalMs);
  const logtoMs = observed.map((o) => o.logtoMs);
  const calls = observed.map((o) => o.calls);
  const bench = ratio(benchLogtoP50, createP50) * 100;
  ctx.record({
    metric,
    unit: '%',
    value: shares.length > 0 ? percentile(shares, 50) * 100 : bench,
    note:
      shares.length > 0
        ? `in-request (proxy): median of ${shares.length} creates, Logto ${percentile(logtoMs, 50).toFixed(2)} ms ` +
          `(p99 ${percentile(logtoMs, 99).toFixed(2)}) in ${percentile(calls, 50)} call(s); bench-side ${bench.toFixed(1)}%`
        : `bench-side: Logto p50 / create p50`,
  });
}

/** Runs the variants `rounds` times interleaved (order alternating), `perRound` operations each, pooled by name. */
async function measure(
  ctx: BenchContext,
  variants: Array<{ name: string; op: Operation }>,
  perRound: number,
  rounds: number,
  concurrency: number,
): Promise<Map<string, Pooled>> {
  const samples = await interleave(
    variants.map((v) => ({ name: v.name, run: () => runBatch(v.op, perRound, concurrency) })),
    rounds,
    (name, round, batch) =>
      ctx.log(
        `round ${round + 1}/${rounds} ${name}${concurrency > 1 ? ` ×${concurrency}` : ''}: p50 ${percentile(batch.latencies, 50).toFixed(2)} ms, ` +
          `p99 ${percentile(batch.latencies, 99).toFixed(2)} ms, ${((batch.latencies.length * 1000) / batch.wallMs).toFixed(1)}/s, failures ${batch.failures}`,
      ),
  );
  const pooled = new Map<string, Pooled>();
  for (const [name, batches] of samples) {
    pooled.set(name, {
      latencies: batches.flatMap((b) => b.latencies),
      wallMs: batches.reduce((sum, b) => sum + b.wallMs, 0),
      failures: batches.reduce((sum, b) => sum + b.failures, 0),
      failureExamples: batches.flatMap((b) => b.failureExamples).slice(0, 3),
      roundP50s: batches.map((b) => percentile(b.latencies, 50)),
    });
  }
  return pooled;
}

/** `count` operations with at most `concurrency` in flight; latency per operation from its own start. */
async function runBatch(op: Operation, count: number, concurrency: number): Promise<Batch> {
  const latencies: number[] = [];
  const failureExamples: string[] = [];
  let failures = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      const started = performance.now();
      let failure: string | undefined;
      try {
        failure = await op();
      } catch (error) {
        failure = String(error);
      }
      latencies.push(performance.now() - started);
      if (failure !== undefined) {
        failures++;
        if (failureExamples.length < 3) {
          failureExamples.push(failure);
        }
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return { latencies, wallMs: performance.now() - started, failures, failureExamples };
}

/** One sequential create: its latency and the Logto time the proxy saw inside it. */
interface InRequest {
  totalMs: number;
  logtoMs: number;
  calls: number;
}

interface ProxiedCall {
  path: string;
  start: number;
  end: number;
}

interface TimingProxy {
  url: string;
  /** The calls finished since the last takeCalls(), oldest first. */
  takeCalls(): ProxiedCall[];
  stop(): Promise<void>;
}

/**
 * A pass-through HTTP proxy to `target` that times every call (request received → upstream response fully
 * relayed), on the same clock as the bench (performance.now()). Keep-alive on both sides.
 */
async function startTimingProxy(target: string): Promise<TimingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let calls: ProxiedCall[] = [];
  const server: Server = createServer((req, res) => {
    const start = performance.now();
    const path = req.url ?? '/';
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path, headers: { ...req.headers, host: upstream.host }, agent },
      (upstreamRes) => {
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        upstreamRes.pipe(res);
        upstreamRes.on('end', () => calls.push({ path, start, end: performance.now() }));
      },
    );
    forward.on('error', (error) => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
      }
      res.end(String(error));
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    takeCalls: () => {
      const taken = calls;
      calls = [];
      return taken;
    },
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
      agent.destroy();
    },
  };
}

type ManagementApi = (method: string, path: string, body?: unknown) => Promise<unknown>;

/** Management API calls as the app makes them (bearer M2M token, JSON); throws on non-2xx. */
function managementApi(endpoint: string, token: string): ManagementApi {
  return async (method, path, body) => {
    const response = await fetch(`${endpoint}/api${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 200)}`);
    }
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
}

/** The `owner` organization role the app assigns to a tenant's owner (created unless it exists). */
async function ensureOwnerRole(logto: ManagementApi): Promise<string> {
  const roles = (await logto('GET', '/organization-roles?page_size=100')) as { id: string; name: string }[];
  const existing = roles.find((role) => role.name === OWNER_ROLE);
  return existing?.id ?? ((await logto('POST', '/organization-roles', { name: OWNER_ROLE })) as { id: string }).id;
}

const randomUuidLike = (): string => {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};

/**
 * A `pg` connection to the app's database: BENCH_DATABASE_URL, or the embedded PGlite's loopback port, found
 * among the app process' listening TCP sockets (/proc); undefined when neither works.
 */
async function connectBaselineDatabase(launch: AppLaunch, app: ChildServer, log: (message: string) => void): Promise<Client | undefined> {
  const candidates =
    launch.database === 'external' && launch.env.DATABASE_URL !== undefined
      ? [launch.env.DATABASE_URL]
      : launch.database === 'embedded'
        ? listeningPorts(app.pid)
            .filter((port) => port !== app.port)
            .map((port) => `postgres://postgres@127.0.0.1:${port}/postgres`)
        : [];
  for (const url of candidates) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('SELECT 1 FROM tenants LIMIT 0');
      log(`baseline database: ${url.replace(/\/\/[^@]*@/, '//***@')}`);
      return client;
    } catch {
      await client.end().catch(() => undefined);
    }
  }
  log('baseline database not reachable: the Logto round trip is the baseline');
  return undefined;
}

/** TCP ports process `pid` listens on (its socket inodes matched against /proc/<pid>/net/tcp{,6}). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) {
          inodes.add(m[1] as string);
        }
      } catch {
        // fd closed meanwhile
      }
    }
  } catch {
    return [];
  }
  const ports = new Set<number>();
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address rem_address st ... inode (column 9)
      if (cols[3] === '0A' && inodes.has(cols[9] ?? '')) {
        ports.add(Number.parseInt((cols[1] ?? '').split(':')[1] ?? '', 16));
      }
    }
  }
  return [...ports].filter((port) => Number.isFinite(port));
}
