/**
 * GET /api/auth/verify (Traefik forwardAuth) on the compiled API in a child process, with a real tenant created
 * through the API and tokens from a dev identity provider:
 *
 * - warm: one valid ES384 token over and over (token cache + tenant cache hits, no I/O), against a bare
 *   node:http server answering 200 to the same requests; interleaved rounds, medians, ratios.
 * - session: a browser's page load with a session cookie (the edge sessions' cached session and organization
 *   token, then the same token cache and tenant cache), against the same bare node:http server;
 * - cold: every request carries a token the app has never seen (pre-signed with the IdP's key, one per request,
 *   none repeated in the whole run), so every request pays a full ES384 verification; against raw ES384
 *   crypto.verify ops/s on one core, sampled in the harness between the load rounds.
 */
import { createPublicKey, randomUUID, verify as cryptoVerify, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { currentSigningJwk, MANAGEMENT_API_RESOURCE, startDevIdp, type DevIdp } from '../../test/support/dev-idp';
import { createTestKeysDir } from '../../test/support/test-keys';
import {
  compareLoad,
  defineSuite,
  describeSamples,
  ensureBuild,
  loadComparisonRows,
  median,
  opsPerSecond,
  prepareAppLaunch,
  ratio,
  runLoad,
  startApp,
  startBareServer,
  type BenchContext,
  type ChildServer,
  type LoadResult,
} from '../lib';

const TENANT_BASE_DOMAIN = 'bench.cameleer.test';
const SLUG = 'acme';
const FORWARDED_HOST = `${SLUG}.${TENANT_BASE_DOMAIN}`;
const VERIFY_PATH = '/api/auth/verify';
/** The dev IdP's seeded users and bootstrap roles (the owner role holds tenant:read): the session signs in as alice. */
const DEV_IDP_CONFIG = resolve(__dirname, '../../config/dev-idp.json');
const SESSION_USER = { id: 'aliceown0001', username: 'alice', password: 'alice-dev-password' };
const SESSION_COOKIE = '__Secure-cameleer_session';
/**
 * Cold tokens per second of load = raw verify ops/s × this. The cold path cannot beat raw verification without
 * caching, so 2× leaves room for a fast round; a round that still runs out reuses tokens and the "reused" row
 * says so.
 */
const TOKEN_HEADROOM = 2;

interface SigningJwk extends JsonWebKey {
  kid: string;
}

interface ColdTokenClaims {
  issuer: string;
  audience: string;
  clientId: string;
  kid: string;
}

export default defineSuite({
  name: 'forward-auth',
  description: 'GET /api/auth/verify: warm (cached token) vs bare node:http; cold (new ES384 token per request) vs raw crypto.verify',
  async run(ctx) {
    const { config, log } = ctx;
    const launch = prepareAppLaunch(config.repoRoot);
    const keysDir = createTestKeysDir();
    const tokenDir = mkdtempSync(join(tmpdir(), 'bench-forward-auth-tokens-'));
    let idp: DevIdp | undefined;
    let app: ChildServer | undefined;
    let bare: ChildServer | undefined;
    try {
      idp = await startDevIdp({ configFile: DEV_IDP_CONFIG });
      const m2m = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
      const edgeApp = await idp.registerEdgeApp({
        redirectUris: [`https://auth.${TENANT_BASE_DOMAIN}/api/auth/callback`],
        postLogoutRedirectUris: [`https://auth.${TENANT_BASE_DOMAIN}/api/auth/signed-out`],
      });
      const forwardAuthPort = await freePort();
      const forwardAuthUrl = `http://127.0.0.1:${forwardAuthPort}`;
      Object.assign(launch.env, {
        LOGTO_ENDPOINT: idp.endpoint,
        LOGTO_API_RESOURCE: idp.apiResource,
        LOGTO_M2M_APP_ID: m2m.clientId,
        LOGTO_M2M_APP_SECRET: m2m.clientSecret,
        TENANT_BASE_DOMAIN,
        LOGTO_EDGE_APP_ID: edgeApp.clientId,
        LOGTO_EDGE_APP_SECRET: edgeApp.clientSecret,
        KEYS_DIR: keysDir,
        RATE_LIMIT_MAX: '100000000',
        // Traefik calls the dedicated forward-auth port in production; measure that.
        FORWARD_AUTH_PORT: String(forwardAuthPort),
        FORWARD_AUTH_HOST: '127.0.0.1',
        // As in the stack: metrics served, so the warm path is measured with its counters being scraped-ready.
        METRICS_PORT: String(await freePort()),
        METRICS_HOST: '127.0.0.1',
      });
      ensureBuild(config.repoRoot, launch.entry, log);
      log(`app: ${launch.entry} (database: ${launch.database}), dev IdP ${idp.endpoint}`);
      app = await startApp(launch, config.repoRoot);
      bare = await startBareServer();

      const operator = await idp.mintUserToken({ sub: 'bench-op', scopes: ['platform:read', 'platform:write'], expiresIn: 3600 });
      await createTenant(app.url, operator, log);
      await expectAllowed(forwardAuthUrl, { authorization: `Bearer ${operator}` }, 'the warm (operator) token');
      const sessionHeaders = {
        cookie: `theme=dark; ${SESSION_COOKIE}=${await signIn(app.url, idp)}`,
        accept: 'text/html',
        'sec-fetch-mode': 'navigate',
        'x-forwarded-method': 'GET',
      };
      await expectAllowed(forwardAuthUrl, sessionHeaders, 'the session cookie');

      // Cold tokens are signed before any load so signing never competes with a measured run.
      const signingKey = currentSigningJwk(idp.dataDir) as SigningJwk;
      const claims: ColdTokenClaims = { issuer: idp.issuer, audience: idp.apiResource, clientId: 'bench-cold-client', kid: signingKey.kid };
      const [probe] = await signTokens(signingKey, claims, 'probe', 1, 1);
      await expectAllowed(forwardAuthUrl, { authorization: `Bearer ${probe as string}` }, 'a freshly signed cold token');
      const rawVerify = await rawVerifier(idp.jwksUri, probe as string);
      // Median of three short samples: on a busy machine one sample can be off by 2× either way.
      const calibration = median([
        await opsPerSecond(rawVerify, { durationMs: 300 }),
        await opsPerSecond(rawVerify, { durationMs: 300 }),
        await opsPerSecond(rawVerify, { durationMs: 300 }),
      ]);
      const perSecond = Math.ceil(calibration * TOKEN_HEADROOM);
      const perRound = Math.ceil(perSecond * config.durationS) + 100;
      const forWarmup = Math.ceil(perSecond * config.warmupS) + 100;
      const total = perRound * config.rounds + forWarmup;
      const workers = Math.max(1, Math.min(cpus().length, 4));
      log(`raw ES384 verify ≈ ${Math.round(calibration)} ops/s; signing ${total} distinct cold tokens on ${workers} worker(s) ...`);
      const signStarted = performance.now();
      const tokens = await signTokens(signingKey, claims, 'cold', total, workers);
      log(`signed in ${((performance.now() - signStarted) / 1000).toFixed(1)} s`);
      const tokenFile = (name: string, from: number, count: number): string => {
        const file = join(tokenDir, `${name}.txt`);
        writeFileSync(file, `${tokens.slice(from, from + count).join('\n')}\n`);
        return file;
      };
      const warmupFile = tokenFile('warmup', 0, forWarmup);
      const roundFiles = Array.from({ length: config.rounds }, (_, r) => tokenFile(`round-${r + 1}`, forWarmup + r * perRound, perRound));

      // Warm: the same token every request.
      const headers = { authorization: `Bearer ${operator}`, 'x-forwarded-host': FORWARDED_HOST };
      const warm = await compareLoad({
        target: { name: 'api (forward-auth port)', url: `${forwardAuthUrl}${VERIFY_PATH}` },
        baseline: { name: 'bare node:http', url: `${bare.url}${VERIFY_PATH}` },
        request: { method: 'GET', headers },
        config,
        log: (m) => log(`warm: ${m}`),
      });
      loadComparisonRows('verify warm (same token)', warm).forEach((row) => ctx.record(row));

      // Session: the same browser page load over and over (session and organization token cached, token cached).
      const session = await compareLoad({
        target: { name: 'api (forward-auth port)', url: `${forwardAuthUrl}${VERIFY_PATH}` },
        baseline: { name: 'bare node:http', url: `${bare.url}${VERIFY_PATH}` },
        request: { method: 'GET', headers: { ...sessionHeaders, 'x-forwarded-host': FORWARDED_HOST } },
        config,
        log: (m) => log(`session: ${m}`),
      });
      loadComparisonRows('verify warm (session cookie)', session).forEach((row) => ctx.record(row));

      const coldFailures = await measureCold(ctx, forwardAuthUrl, rawVerify, warmupFile, roundFiles, warm.target.requestsPerSec);
      if (warm.target.errors + warm.target.non2xx + session.target.errors + session.target.non2xx + coldFailures > 0) {
        // wrk does not say which status; the app logs errors at warn and above.
        log(`requests failed; the app's last output:\n${app.output().slice(-4000).trim() || '(none)'}`);
      }
    } finally {
      await app?.stop();
      await bare?.stop();
      await idp?.stop();
      launch.cleanup();
      rmSync(keysDir, { recursive: true, force: true });
      rmSync(tokenDir, { recursive: true, force: true });
    }
  },
});

async function measureCold(
  ctx: BenchContext,
  appUrl: string,
  rawVerify: () => boolean,
  warmupFile: string,
  roundFiles: string[],
  warmRps: number,
): Promise<number> {
  const { config, log } = ctx;
  const load = (file: string, durationS: number): Promise<LoadResult> =>
    runLoad({
      url: `${appUrl}${VERIFY_PATH}`,
      method: 'GET',
      headers: { 'x-forwarded-host': FORWARDED_HOST },
      headerFromFile: { name: 'authorization', prefix: 'Bearer ', file },
      durationS,
      connections: config.connections,
      threads: config.threads,
      generator: config.generator,
    });
  log(`cold: warm-up (${config.warmupS} s, its own tokens)`);
  await load(warmupFile, config.warmupS);

  // Interleaved like compareLoad: raw verify, cold round, cold round, raw verify, ...
  const runs: LoadResult[] = [];
  const rawOps: number[] = [];
  const rawRun = async (): Promise<void> => {
    rawOps.push(await opsPerSecond(rawVerify));
  };
  for (let round = 0; round < config.rounds; round++) {
    const coldRun = async (): Promise<void> => {
      const r = await load(roundFiles[round] as string, config.durationS);
      runs.push(r);
      log(
        `cold round ${round + 1}/${config.rounds}: ${Math.round(r.requestsPerSec)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, ` +
          `p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors}, non-2xx ${r.non2xx}, tokens sent ${r.cycled?.used} of ${r.cycled?.available}`,
      );
    };
    for (const step of round % 2 === 0 ? [rawRun, coldRun] : [coldRun, rawRun]) {
      await step();
    }
    log(`raw crypto.verify sample ${round + 1}: ${Math.round(rawOps[rawOps.length - 1] as number)} ops/s`);
  }

  const coldRps = median(runs.map((r) => r.requestsPerSec));
  const rawMedian = median(rawOps);
  const sum = (f: (r: LoadResult) => number): number => runs.reduce((a, r) => a + f(r), 0);
  const requests = sum((r) => r.requests);
  const errors = sum((r) => r.errors);
  const non2xx = sum((r) => r.non2xx);
  const sent = sum((r) => r.cycled?.used ?? 0);
  const reused = sum((r) => r.cycled?.reused ?? Number.NaN);
  const available = sum((r) => r.cycled?.available ?? 0);
  const rawName = 'crypto.verify ES384 (1 core)';
  ctx.record({
    metric: 'verify cold (new token each) throughput',
    unit: 'req/s',
    value: coldRps,
    baseline: rawMedian,
    baselineName: rawName,
    ratio: ratio(coldRps, rawMedian),
    better: 'higher',
    samples: runs.map((r) => r.requestsPerSec),
    baselineSamples: rawOps,
    note: `cold ${describeSamples(runs.map((r) => r.requestsPerSec))}; raw ${describeSamples(rawOps)}; cold/warm ${ratio(coldRps, warmRps).toFixed(3)}`,
  });
  for (const [label, pick] of [
    ['p50', (r: LoadResult) => r.p50Ms],
    ['p99', (r: LoadResult) => r.p99Ms],
  ] as const) {
    const samples = runs.map(pick);
    ctx.record({
      metric: `verify cold (new token each) ${label} latency`,
      unit: 'ms',
      value: median(samples),
      samples,
      note: `${describeSamples(samples)}; queueing: ${config.connections} connections / ${Math.round(coldRps)} req/s = ${((config.connections / coldRps) * 1000).toFixed(1)} ms`,
    });
  }
  ctx.record({
    metric: 'verify cold errors / non-2xx',
    unit: '',
    value: errors + non2xx,
    note: `socket errors ${errors}, non-2xx ${non2xx} of ${requests} requests (sum of ${runs.length} runs)`,
  });
  ctx.record({
    metric: 'verify cold tokens reused',
    unit: '',
    value: reused,
    note: `${requests - errors - non2xx} 2xx from ${sent} requests sent with ${available} distinct tokens; 0 = every request verified a new token`,
  });
  return errors + non2xx;
}

/** POST /api/tenants as an operator; waits until forward-auth sees the tenant ACTIVE. */
async function createTenant(appUrl: string, operator: string, log: (m: string) => void): Promise<void> {
  const response = await fetch(`${appUrl}/api/tenants`, {
    method: 'POST',
    headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    // Owned by the session's user: the owner role gives its organization tokens tenant:read.
    body: JSON.stringify({ slug: SLUG, name: 'Acme', ownerUserId: SESSION_USER.id }),
  });
  const body = (await response.json()) as { id?: string; status?: string };
  if (response.status !== 201 && response.status !== 202) {
    throw new Error(`POST /api/tenants answered ${response.status}: ${JSON.stringify(body)}`);
  }
  log(`tenant ${SLUG}: ${response.status}, ${body.status} (${body.id})`);
}

/** One GET /api/auth/verify must answer 200 with the tenant's identity headers (retried while the tenant provisions). */
async function expectAllowed(appUrl: string, credentials: Record<string, string>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const response = await fetch(`${appUrl}${VERIFY_PATH}`, { headers: { ...credentials, 'x-forwarded-host': FORWARDED_HOST } });
    const text = await response.text();
    if (response.status === 200 && response.headers.get('x-cameleer-tenant-slug') === SLUG) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`GET ${VERIFY_PATH} with ${what} answered ${response.status} ${text}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Signs SESSION_USER in through the app's sign-in routes and the dev IdP's sign-in page; returns the session cookie's value. */
async function signIn(appUrl: string, idp: DevIdp): Promise<string> {
  const setCookie = (response: Response, name: string): string => {
    const line = response.headers.getSetCookie().find((cookie) => cookie.startsWith(`${name}=`));
    if (line === undefined) {
      throw new Error(`no ${name} cookie from ${response.url} (${response.status})`);
    }
    return (line.split(';')[0] ?? '').slice(name.length + 1);
  };
  const login = await fetch(`${appUrl}/api/auth/login?rd=${encodeURIComponent(`https://${FORWARDED_HOST}/`)}`, { redirect: 'manual' });
  const loginCookie = login.headers.getSetCookie().find((cookie) => cookie.includes('_login='))?.split(';')[0];
  const callback = new URL(await idp.signInWithPassword({ authorizeUrl: login.headers.get('location') ?? '', username: SESSION_USER.username, password: SESSION_USER.password }));
  const done = await fetch(`${appUrl}/api/auth/callback${callback.search}`, { redirect: 'manual', headers: { cookie: loginCookie ?? '' } });
  return setCookie(done, SESSION_COOKIE);
}

/** Raw ES384 verification of `token` with the IdP's public key from its JWKS, as the app gets it. */
async function rawVerifier(jwksUri: string, token: string): Promise<() => boolean> {
  const jwks = (await (await fetch(jwksUri)).json()) as { keys: JsonWebKey[] };
  const key = createPublicKey({ key: jwks.keys[0] as JsonWebKey, format: 'jwk' });
  const [header, payload, sig] = token.split('.') as [string, string, string];
  const signingInput = Buffer.from(`${header}.${payload}`, 'ascii');
  const signature = Buffer.from(sig, 'base64url');
  const verify = (): boolean => cryptoVerify('sha384', signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
  if (!verify()) {
    throw new Error('crypto.verify rejected a token signed with the IdP key');
  }
  return verify;
}

// Plain JS for eval workers (the swc hook does not reach worker threads); jose by its resolved path.
const SIGNING_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPrivateKey } = require('node:crypto');
const { SignJWT } = require(workerData.jose);
(async () => {
  const { jwk, claims, prefix, from, to } = workerData;
  const key = createPrivateKey({ key: jwk, format: 'jwk' });
  const iat = Math.floor(Date.now() / 1000);
  const out = [];
  for (let i = from; i < to; i++) {
    out.push(
      await new SignJWT({ client_id: claims.clientId, scope: 'platform:read' })
        .setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid: claims.kid })
        .setIssuer(claims.issuer)
        .setAudience(claims.audience)
        .setSubject(prefix + '-' + i)
        .setJti(prefix + '-' + i + '-' + workerData.nonce)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 3600)
        .sign(key),
    );
  }
  parentPort.postMessage(out);
})().catch((error) => { throw error; });
`;

/** `count` distinct access tokens (unique sub and jti), signed with jose SignJWT ES384 on `workers` threads. */
async function signTokens(jwk: SigningJwk, claims: ColdTokenClaims, prefix: string, count: number, workers: number): Promise<string[]> {
  const jose = require.resolve('jose');
  const nonce = randomUUID();
  const share = Math.ceil(count / workers);
  const parts = await Promise.all(
    Array.from({ length: workers }, (_, w) => {
      const from = w * share;
      const to = Math.min(count, from + share);
      return new Promise<string[]>((resolvePart, reject) => {
        const worker = new Worker(SIGNING_WORKER, { eval: true, workerData: { jose, jwk, claims, prefix, from, to, nonce } });
        worker.once('message', (tokens: string[]) => {
          resolvePart(tokens);
          void worker.terminate();
        });
        worker.once('error', reject);
      });
    }),
  );
  return parts.flat();
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
