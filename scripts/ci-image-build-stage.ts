// node -r ./scripts/register-ts.js scripts/ci-image-build-stage.ts        (CI: .ci/run; needs git, network, PostgreSQL)
//
// Proves the image builds without a Docker engine. Makes the build context Docker would see (the tracked files minus
// .dockerignore), then runs the Dockerfile itself, on the Node release its FROM lines pin (npm's node@<version>):
//   - every build stage: WORKDIR, ENV, COPY and RUN lines as written, in a directory standing in for the stage's /;
//   - the runtime stage: its COPY lines (from the context and from the build stage, whose sources must exist) and
//     the npm commands of its RUN lines (the user-account and /app steps need root and are skipped, and listed);
// then checks what the image ships (no bench, test or dev IdP code; every dist/ entry point the docs and package.json
// name) and runs it as the image would: migrate-cli, the bootstrap CLI's --help and the CMD, which must answer
// /api/health on production settings and exit 0 on SIGTERM. Exits 1 with the reason on the first failure.
// TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) is the server it makes its database on.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { Client } from 'pg';

import { dockerignoreMatcher, parseDockerfile, parseDockerignore, type Stage } from './image-build/dockerfile';

const repoRoot = resolve(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'image-build-stage-'));

/** What a stage left behind: its stand-in for /, its working directory and its environment. */
interface StageState {
  root: string;
  workdir: string;
  env: Record<string, string>;
  cmd?: string[];
}

class CheckFailed extends Error {}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

function run(command: string, args: string[], options: SpawnSyncOptions & { what: string }): string {
  const result = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, ...options });
  if (result.status !== 0) {
    throw new CheckFailed(`${options.what} failed (${result.status ?? result.signal})\n${String(result.stdout ?? '')}${String(result.stderr ?? '')}`);
  }
  return String(result.stdout ?? '');
}

/** The one Node release the stages' `node:<version>-…` bases pin, installed from npm's `node` package. */
function installPinnedNode(stages: Stage[]): string {
  const versions = new Set(
    stages.filter((s) => !stages.some((other) => other.name === s.base)).map((s) => /^node:(\d+\.\d+\.\d+)(-|$)/.exec(s.base)?.[1] ?? s.base),
  );
  const [version] = [...versions];
  if (versions.size !== 1 || !/^\d+\.\d+\.\d+$/.test(version ?? '')) {
    throw new CheckFailed(`the stages must share one pinned node:<x.y.z> base, found: ${[...versions].join(', ')}`);
  }
  const dir = join(work, 'node');
  mkdirSync(dir);
  run('npm', ['i', '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `node@${version}`], { cwd: dir, what: `npm i node@${version}` });
  const bin = join(dir, 'node_modules', '.bin');
  log(`node ${run(join(bin, 'node'), ['--version'], { what: 'node --version' }).trim()} (the Dockerfile's base)`);
  return bin;
}

/** The build context: tracked files Docker is not told to ignore, copied as they are in the working tree. */
function makeContext(): string {
  const context = join(work, 'context');
  const ignored = dockerignoreMatcher(parseDockerignore(readFileSync(join(repoRoot, '.dockerignore'), 'utf8')));
  const tracked = run('git', ['ls-files', '-z'], { cwd: repoRoot, what: 'git ls-files' }).split('\0').filter(Boolean);
  let count = 0;
  for (const file of tracked) {
    const from = join(repoRoot, file);
    if (ignored(file) || !existsSync(from)) {
      continue;
    }
    const to = join(context, file);
    mkdirSync(dirname(to), { recursive: true });
    if (lstatSync(from).isSymbolicLink()) {
      symlinkSync(readlinkSync(from), to);
    } else {
      cpSync(from, to, { preserveTimestamps: true });
    }
    count++;
  }
  log(`build context: ${count} of ${tracked.length} tracked files`);
  return context;
}

/** `ENV a=1 b="two words"` or the legacy `ENV a 1`. */
function parseEnv(args: string): Record<string, string> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const [key = '', ...rest] = args.split(' ');
    return { [key]: rest.join(' ') };
  }
  const env: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = m[2] ?? '';
    env[m[1] ?? ''] = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
  }
  return env;
}

/** A COPY line applied: sources from the context or an earlier stage, Docker's directory-or-file destination rules. */
function copy(args: string, state: StageState, context: string, done: Map<string, StageState>): void {
  const words = args.split(' ');
  const flags = words.filter((w) => w.startsWith('--'));
  const paths = words.filter((w) => !w.startsWith('--'));
  const dest = paths.pop();
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  if (dest === undefined || paths.length === 0 || /[$*?[]/.test(paths.join(' ') + dest)) {
    throw new CheckFailed(`COPY ${args}: not a form this check emulates (no wildcards or variables)`);
  }
  const sourceStage = from === undefined ? undefined : done.get(from);
  if (from !== undefined && sourceStage === undefined) {
    throw new CheckFailed(`COPY ${args}: no earlier stage named ${from}`);
  }
  const target = join(state.root, posix.resolve(state.workdir, dest));
  const intoDirectory = dest.endsWith('/') || paths.length > 1;
  for (const source of paths) {
    const path = sourceStage === undefined ? join(context, posix.normalize(`/${source}`)) : join(sourceStage.root, posix.resolve(sourceStage.workdir, source));
    if (!existsSync(path)) {
      throw new CheckFailed(`COPY ${args}: ${source} does not exist in ${from === undefined ? 'the build context' : `stage ${from}`}`);
    }
    const isDirectory = lstatSync(path).isDirectory();
    const to = isDirectory ? target : intoDirectory ? join(target, basename(path)) : target;
    mkdirSync(isDirectory ? to : dirname(to), { recursive: true });
    cpSync(path, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  }
}

/**
 * Runs one stage's instructions. `runnable` picks what of a RUN line runs here (the whole line in a build stage).
 * npm's cache starts as a hard-linked copy of this machine's (so `npm cache clean` in a stage removes only the copy).
 */
function runStage(
  stage: Stage,
  nodeBin: string,
  context: string,
  done: Map<string, StageState>,
  runnable: (line: string) => string[],
): StageState {
  const label = stage.name ?? '(unnamed)';
  const state: StageState = { root: join(work, 'stages', label), workdir: '/', env: {} };
  const home = join(state.root, 'root');
  mkdirSync(join(home, '.npm'), { recursive: true });
  const hostCache = run('npm', ['config', 'get', 'cache'], { cwd: repoRoot, what: 'npm config get cache' }).trim();
  if (existsSync(join(hostCache, '_cacache'))) {
    run('cp', ['-al', join(hostCache, '_cacache'), join(home, '.npm', '_cacache')], { what: 'seeding the npm cache' });
  }
  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'WORKDIR') {
      state.workdir = posix.resolve(state.workdir, args);
      mkdirSync(join(state.root, state.workdir), { recursive: true });
    } else if (keyword === 'ENV') {
      Object.assign(state.env, parseEnv(args));
    } else if (keyword === 'COPY') {
      copy(args, state, context, done);
    } else if (keyword === 'RUN') {
      if (args.startsWith('[')) {
        throw new CheckFailed(`RUN ${args}: the exec form is not emulated`);
      }
      for (const line of runnable(args)) {
        log(`[${label}] RUN ${line}`);
        const env = { PATH: `${nodeBin}:${process.env.PATH ?? ''}`, HOME: home, ...state.env };
        run('/bin/sh', ['-c', line], { cwd: join(state.root, state.workdir), env, stdio: 'inherit', what: `[${label}] RUN ${line}` });
      }
    } else if (keyword === 'CMD') {
      state.cmd = JSON.parse(args) as string[];
    } else if (!['USER', 'EXPOSE', 'HEALTHCHECK', 'LABEL', 'ARG'].includes(keyword)) {
      throw new CheckFailed(`${keyword} ${args}: an instruction this check does not emulate`);
    }
  }
  done.set(label, state);
  return state;
}

/** The runtime stage runs only the npm commands of its RUN lines; the rest needs root (accounts, /app). */
function npmCommandsOnly(line: string): string[] {
  const parts = line.split(/\s*&&\s*/);
  const skipped = parts.filter((p) => !p.startsWith('npm '));
  if (skipped.length > 0) {
    log(`[runtime] not emulated (needs root): ${skipped.join(' && ')}`);
  }
  return parts.filter((p) => p.startsWith('npm '));
}

function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name), `${prefix}${entry.name}/`) : [`${prefix}${entry.name}`],
  );
}

/**
 * What the image ships: no bench, test, dev IdP or spec code, every compiled entry point that is documented, and
 * every migration. Returns the number of migrations.
 */
function checkShipped(app: string, context: string): number {
  const dist = filesUnder(join(app, 'dist'));
  const unwanted = dist.filter((f) => /^(bench|test)\/|^apps\/(?!api\/)|\.(spec|int-spec|e2e-spec|logto-spec)\.js(\.map)?$/.test(f));
  if (unwanted.length > 0) {
    throw new CheckFailed(`dist/ ships code that is not the API's: ${unwanted.slice(0, 10).join(', ')}${unwanted.length > 10 ? ', …' : ''}`);
  }
  const named = new Set<string>();
  for (const doc of ['package.json', 'Dockerfile', 'README.md', 'deploy/README.md']) {
    for (const m of readFileSync(join(repoRoot, doc), 'utf8').matchAll(/\bdist\/[\w./-]+\.js\b/g)) {
      named.add(m[0]);
    }
  }
  const missing = [...named].filter((file) => !existsSync(join(app, file)));
  if (missing.length > 0) {
    throw new CheckFailed(`the image lacks entry points that package.json or the docs name: ${missing.join(', ')}`);
  }
  const migrationsDir = 'apps/api/src/database/migrations';
  const sources = readdirSync(join(context, migrationsDir)).filter((f) => f.endsWith('.ts')).length;
  const compiled = readdirSync(join(app, 'dist', migrationsDir)).filter((f) => f.endsWith('.js')).length;
  if (sources === 0 || compiled !== sources) {
    throw new CheckFailed(`dist/${migrationsDir} holds ${compiled} migrations, the sources ${sources}`);
  }
  log(`ok: dist/ holds ${dist.length} files, only the API's; entry points present: ${[...named].join(', ')}; ${compiled} migrations`);
  return compiled;
}

/** Runs the image the way the compose stack does: migrations, the bootstrap CLI, then the CMD until it is healthy. */
async function checkRuns(runtime: StageState, nodeBin: string, migrations: number): Promise<void> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = `t_image_${process.pid}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const keys = join(work, 'keys');
    for (const purpose of ['license', 'machine', 'platform', 'session']) {
      run('npm', ['run', '-s', 'keys:generate', '--', '--purpose', purpose, '--dir', keys], { cwd: repoRoot, what: `keys:generate ${purpose}` });
    }
    const port = 20000 + Math.floor(Math.random() * 20000);
    // Production settings; Logto is not running here, which the API tolerates at boot (readiness reports it).
    const env = {
      PATH: `${nodeBin}:${process.env.PATH ?? ''}`,
      ...runtime.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      KEYS_DIR: keys,
      DATABASE_URL: url.toString(),
      PUBLIC_URL: 'https://api.cameleer.example',
      LOGTO_ENDPOINT: 'https://auth.cameleer.example',
      LOGTO_API_RESOURCE: 'https://api.cameleer.example',
      LICENSE_ISSUER: 'https://api.cameleer.example',
      TENANT_BASE_DOMAIN: 'cameleer.example',
    };
    const cwd = join(runtime.root, runtime.workdir);
    run('node', ['dist/apps/api/src/database/migrate-cli.js'], { cwd, env, what: 'migrate-cli in the runtime stage' });
    const db = new Client({ connectionString: url.toString() });
    await db.connect();
    const applied = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations').finally(() => db.end());
    if (applied.rows[0]?.n !== migrations) {
      throw new CheckFailed(`migrate-cli in the runtime stage applied ${applied.rows[0]?.n} migrations, not ${migrations}`);
    }
    log(`ok: migrate-cli in the runtime stage applied all ${migrations} migrations`);
    run('node', ['dist/scripts/logto-bootstrap.js', '--help'], { cwd, env, what: 'logto-bootstrap --help in the runtime stage' });
    log('ok: logto-bootstrap loads in the runtime stage');
    await bootAndStop(runtime, cwd, env, port);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  }
}

async function bootAndStop(runtime: StageState, cwd: string, env: Record<string, string>, port: number): Promise<void> {
  const [command, ...args] = runtime.cmd ?? [];
  if (command === undefined) {
    throw new CheckFailed('the runtime stage has no exec-form CMD');
  }
  let output = '';
  const app = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  app.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  app.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => app.once('exit', (code) => done(code)));
  let healthy = false;
  for (let i = 0; i < 60 && app.exitCode === null && !healthy; i++) {
    healthy = await fetch(`http://127.0.0.1:${port}/api/health`, { signal: AbortSignal.timeout(5000) }).then((r) => r.ok, () => false);
    if (!healthy) {
      await new Promise((done) => setTimeout(done, 1000));
    }
  }
  if (!healthy) {
    app.kill('SIGKILL');
    throw new CheckFailed(`the runtime stage's CMD (${runtime.cmd?.join(' ')}) did not answer /api/health\n${output}`);
  }
  log(`ok: ${runtime.cmd?.join(' ')} answered /api/health`);
  app.kill('SIGTERM');
  const code = await Promise.race([exited, new Promise<string>((done) => setTimeout(() => done('timeout'), 20_000).unref())]);
  if (code !== 0) {
    app.kill('SIGKILL');
    throw new CheckFailed(`the app did not exit 0 on SIGTERM (${code})\n${output}`);
  }
  log('ok: graceful shutdown exited 0');
}

async function main(): Promise<void> {
  const stages = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'));
  const runtimeStage = stages[stages.length - 1];
  if (stages.length < 2 || runtimeStage === undefined) {
    throw new CheckFailed('the Dockerfile has no build stage');
  }
  const nodeBin = installPinnedNode(stages);
  const context = makeContext();
  const done = new Map<string, StageState>();
  for (const stage of stages.slice(0, -1)) {
    runStage(stage, nodeBin, context, done, (line) => [line]);
  }
  log('ok: the build stage built on the build context');
  const runtime = runStage(runtimeStage, nodeBin, context, done, npmCommandsOnly);
  const app = join(runtime.root, runtime.workdir);
  const migrations = checkShipped(app, context);
  await checkRuns(runtime, nodeBin, migrations);
}

main()
  .then(() => log('image build stage: ok'))
  .catch((error: unknown) => {
    process.exitCode = 1;
    process.stderr.write(`FAIL: ${error instanceof CheckFailed ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
