import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNodeServer, type ChildServer } from './processes';

/** The compiled API entry, or BENCH_APP_ENTRY; BENCH_STANDIN=1 uses the bare server as a stand-in app. */
function appEntry(repoRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  if (isStandIn(env)) {
    return join(__dirname, 'bare-server.js');
  }
  return env.BENCH_APP_ENTRY ?? join(repoRoot, 'dist', 'apps', 'api', 'src', 'main.js');
}

function isStandIn(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.BENCH_STANDIN === '1' || env.BENCH_STANDIN === 'true';
}

function newestMtimeMs(path: string): number {
  if (!existsSync(path)) {
    return 0;
  }
  const st = statSync(path);
  if (!st.isDirectory()) {
    return st.mtimeMs;
  }
  let newest = 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) {
      continue;
    }
    const child = join(path, entry.name);
    if (entry.isDirectory()) {
      newest = Math.max(newest, newestMtimeMs(child));
    } else if (/\.(ts|json)$/.test(entry.name)) {
      newest = Math.max(newest, statSync(child).mtimeMs);
    }
  }
  return newest;
}

/**
 * Runs `npm run build` when the entry is missing or older than any .ts/.json under apps/ and libs/ or a root
 * tsconfig (BENCH_BUILD=auto, the default); BENCH_BUILD=always / never force it. Build output goes to stderr.
 * Returns whether a build ran.
 */
export function ensureBuild(repoRoot: string, entry: string, log: (msg: string) => void, env: NodeJS.ProcessEnv = process.env): boolean {
  const mode = env.BENCH_BUILD ?? 'auto';
  if (mode === 'never' || isStandIn(env) || env.BENCH_APP_ENTRY !== undefined) {
    return false;
  }
  if (mode === 'auto' && existsSync(entry)) {
    const built = statSync(entry).mtimeMs;
    const sources = Math.max(
      newestMtimeMs(join(repoRoot, 'apps')),
      newestMtimeMs(join(repoRoot, 'libs')),
      newestMtimeMs(join(repoRoot, 'tsconfig.json')),
      newestMtimeMs(join(repoRoot, 'tsconfig.build.json')),
    );
    if (built >= sources) {
      log(`build is up to date (${entry})`);
      return false;
    }
  }
  log('running npm run build ...');
  const started = performance.now();
  const res = spawnSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: ['ignore', 2, 2] });
  if (res.status !== 0) {
    throw new Error(
      `npm run build failed (exit ${res.status ?? res.signal}); fix the build, or BENCH_BUILD=never to bench the existing ${entry}`,
    );
  }
  log(`build done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (!existsSync(entry)) {
    throw new Error(`npm run build succeeded but ${entry} does not exist`);
  }
  return true;
}

export interface AppLaunch {
  entry: string;
  /** 'embedded' (CAMELEER_DEV=1 + PGlite in a temp dir), 'external' (BENCH_DATABASE_URL) or 'stand-in'. */
  database: 'embedded' | 'external' | 'stand-in';
  /** Temp data dir for the embedded database (removed by cleanup()). */
  dataDir?: string;
  env: NodeJS.ProcessEnv;
  /** Node flags for the app process only, from BENCH_APP_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`). */
  nodeArgs: string[];
  cleanup(): void;
}

/**
 * The environment contract for the API process: LOG_LEVEL=warn, and either DATABASE_URL=$BENCH_DATABASE_URL
 * or CAMELEER_DEV=1 with EMBEDDED_DB_DIR=<fresh temp dir>. PORT is set per start by startApp(). Suites may add
 * their own variables to `env` before startApp().
 */
export function prepareAppLaunch(repoRoot: string, env: NodeJS.ProcessEnv = process.env): AppLaunch {
  const entry = appEntry(repoRoot, env);
  // Not NODE_OPTIONS: that rejects --cpu-prof and friends, and would reach the harness too.
  const nodeArgs = (env.BENCH_APP_NODE_ARGS ?? '').split(/\s+/).filter((arg) => arg !== '');
  const childEnv: NodeJS.ProcessEnv = { ...env, LOG_LEVEL: 'warn' };
  delete childEnv.CAMELEER_DEV;
  delete childEnv.DATABASE_URL;
  delete childEnv.EMBEDDED_DB_DIR;
  if (isStandIn(env)) {
    return { entry, database: 'stand-in', env: childEnv, nodeArgs, cleanup: () => undefined };
  }
  if (env.BENCH_DATABASE_URL) {
    childEnv.DATABASE_URL = env.BENCH_DATABASE_URL;
    return { entry, database: 'external', env: childEnv, nodeArgs, cleanup: () => undefined };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'cameleer-bench-db-'));
  childEnv.CAMELEER_DEV = '1';
  childEnv.EMBEDDED_DB_DIR = dataDir;
  return {
    entry,
    database: 'embedded',
    dataDir,
    env: childEnv,
    nodeArgs,
    cleanup: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

/** Starts the API from `launch` and waits for 200 from /api/health; bootMs is spawn → first 200. */
export function startApp(launch: AppLaunch, repoRoot: string, opts: { readyPath?: string; timeoutMs?: number } = {}): Promise<ChildServer> {
  return startNodeServer({
    name: 'api',
    entry: launch.entry,
    nodeArgs: launch.nodeArgs,
    env: launch.env,
    cwd: repoRoot,
    readyPath: opts.readyPath ?? '/api/health',
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
}
