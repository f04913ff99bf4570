import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { assertSafeTestDatabase, databaseUrlWithName } from '../support/database-safety';
import { freePort } from '../support/free-port';
import { requiresTool } from '../support/requires-tool';
import { adminQuery, requiresServer } from '../support/test-database';
import { shellBlocks, type ShellBlock } from './shell-blocks';

/**
 * The docs are executable: every shell block of these files is marked (see `shell-blocks.ts`), every block parses
 * (`bash -n`), and every `runnable` block runs, in document order, on a fresh copy of the repository (the files a
 * clone would have, with node_modules linked), each in its own bash (`set -eo pipefail`), so a block sets every
 * variable it uses; files it writes stay for the blocks after it.
 *
 * What the runner does that a reader does not, all of it here:
 * - Long-running commands: `npm start` and `npm run start:prod` are started in the background, the block goes on
 *   once `/api/health` answers, and they are stopped (their process group) when the block ends. `npm test` and
 *   `npm run test:*` are skipped (CI runs the suite itself), and so is `npm ci` (node_modules is linked).
 * - Addresses: the docs' fixed ports (API 3000, dev IdP 3001, dev edge 8080) become free ones (also in PORT,
 *   DEV_IDP_PORT, DEV_EDGE_PORT), and the README's `…/cameleer_saas` database URL becomes a fresh empty database on
 *   TEST_DATABASE_URL's server, so runs on a shared machine do not collide.
 */
const ROOT = resolve(__dirname, '../..');
const DOCS = ['README.md', 'deploy/README.md', 'deploy/helm/README.md', 'keys/README.md', 'docs/operators.md'];
const DOCS_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/cameleer_saas';
const BLOCK_TIMEOUT_MS = 900_000;

const PRELUDE = String.raw`
set -eo pipefail
docs_runner_wait() { # <url> <pid> <what> <log>: until the url answers, or the process ended
  for _ in $(seq 1 600); do
    if curl -fsS -o /dev/null "$1" 2>/dev/null; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then echo "(docs runner) $3 ended before it was ready:" >&2; tail -n 60 "$4" >&2; return 1; fi
    sleep 0.5
  done
  echo "(docs runner) $3 was not ready within 300 s:" >&2; tail -n 60 "$4" >&2; return 1
}
npm() {
  case "$1 $2" in
    'ci '*) echo '(docs runner) npm ci: skipped, node_modules is linked from the checkout under test' ;;
    'test '* | 'run test'*) echo "(docs runner) npm $*: skipped, CI runs the suite itself" ;;
    'start '* | 'run start:prod')
      local log; log="$(mktemp "$DOCS_RUNNER_LOGS/npm-XXXX.log")"
      command npm "$@" >"$log" 2>&1 &
      docs_runner_wait "http://localhost:$PORT/api/health" $! "npm $*" "$log"
      echo "(docs runner) npm $*: running in the background (log $log) until the block ends" ;;
    *) command npm "$@" ;;
  esac
}
`;

/** The files a clone would have (tracked: `git add` a new file first), copied; node_modules linked. */
function freshCopy(): string {
  const copy = mkdtempSync(join(tmpdir(), 'docs-copy-'));
  const listed = execFileSync('git', ['ls-files', '-z', '--cached'], { cwd: ROOT }).toString('utf8');
  for (const file of listed.split('\0').filter(Boolean)) {
    const source = join(ROOT, file);
    if (!existsSync(source) && !isSymlink(source)) {
      continue; // deleted in the working tree, not yet committed
    }
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(source, join(copy, file), { verbatimSymlinks: true, preserveTimestamps: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops what a block left running: its process group, SIGTERM first (npm start drains), SIGKILL after 20 s. */
async function stopGroup(pgid: number): Promise<void> {
  if (!groupAlive(pgid)) {
    return;
  }
  process.kill(-pgid, 'SIGTERM');
  for (let waited = 0; waited < 20_000 && groupAlive(pgid); waited += 250) {
    await new Promise((done) => setTimeout(done, 250));
  }
  if (groupAlive(pgid)) {
    process.kill(-pgid, 'SIGKILL');
  }
}

interface BlockRun {
  readonly code: number | null;
  readonly output: string;
}

async function runBlock(block: ShellBlock, copy: string, databaseUrl: string | undefined): Promise<BlockRun> {
  const [apiPort, idpPort, edgePort] = [await freePort(), await freePort(), await freePort()];
  let body = block.body
    .replace(/\b(localhost|127\.0\.0\.1):3000\b/g, `$1:${apiPort}`)
    .replace(/\b(localhost|127\.0\.0\.1):3001\b/g, `$1:${idpPort}`)
    .replace(/\b((?:[a-z0-9-]+\.)*localhost|127\.0\.0\.1):8080\b/g, `$1:${edgePort}`);
  if (databaseUrl !== undefined) {
    body = body.split(DOCS_DATABASE_URL).join(databaseUrl);
  }
  const logs = join(copy, '.docs-runner');
  const home = join(copy, '.docs-runner-home');
  mkdirSync(logs, { recursive: true });
  mkdirSync(home, { recursive: true });
  const script = join(logs, `block-${block.where.replace(/[^A-Za-z0-9]+/g, '-')}.sh`);
  writeFileSync(script, `${PRELUDE}\n${body}\n`);

  const child: ChildProcess = spawn('bash', [script], {
    cwd: copy,
    detached: true, // its own process group, so everything it started can be stopped at its end
    env: {
      PATH: process.env.PATH,
      HOME: home,
      PORT: String(apiPort),
      DEV_IDP_PORT: String(idpPort),
      DEV_EDGE_PORT: String(edgePort),
      // HOME is the block's own: deploy/helm/tools.sh finds the helm/kubectl CI installed in the real cache instead of
      // installing them again with an npm that may lack this machine's registry settings (npm@24's has none).
      CAMELEER_HELM_TOOLS_DIR: process.env.CAMELEER_HELM_TOOLS_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'cameleer', 'helm-tools'),
      DOCS_RUNNER_LOGS: logs,
      npm_config_update_notifier: 'false',
      npm_config_fund: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding('utf8').on('data', (chunk: string) => {
      output = (output + chunk).slice(-20_000);
    });
  }
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), BLOCK_TIMEOUT_MS - 30_000);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  await stopGroup(child.pid!);
  return { code, output };
}

let toolsPresent: boolean | undefined;
/** The docs' blocks call the API with curl and read its answers with jq (asked once, when a block would run). */
function tools(): boolean {
  toolsPresent ??= requiresTool('curl', ['--version'], 'the runnable docs call the API') && requiresTool('jq', ['--version'], 'the runnable docs read JSON');
  return toolsPresent;
}

describe.each(DOCS)('%s', (file) => {
  const markdown = existsSync(join(ROOT, file)) ? readFileSync(join(ROOT, file), 'utf8') : '';
  const blocks = shellBlocks(file, markdown);
  const runnable = blocks.filter((block) => block.mark?.run === true);
  let copy: string | undefined;
  let serverUrl: string | undefined;
  const databases: string[] = [];

  afterAll(async () => {
    for (const name of databases) {
      await adminQuery(serverUrl!, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
    if (copy !== undefined) {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('exists and marks every shell block: runnable, or what it needs (then checked for syntax only)', () => {
    expect(markdown).not.toBe('');
    expect(blocks.filter((block) => block.problem !== undefined).map((block) => `${block.where}: ${block.problem}`)).toEqual([]);
  });

  it('has blocks that all parse (bash -n)', () => {
    const broken = blocks.flatMap((block) => {
      const check = spawnSync('bash', ['-n'], { input: block.body, encoding: 'utf8' });
      return check.status === 0 ? [] : [`${block.where}: ${check.stderr.trim()}`];
    });
    expect(broken).toEqual([]);
  });

  for (const block of runnable) {
    const needsPostgres = block.mark?.run === true && block.mark.needsPostgres;
    const runs = tools() && (!needsPostgres || requiresServer(`${block.where} runs on a PostgreSQL server`));
    const test = runs ? it : it.skip;
    test(
      `${block.where} runs as written`,
      async () => {
        copy ??= freshCopy();
        let databaseUrl: string | undefined;
        if (needsPostgres) {
          serverUrl = process.env.TEST_DATABASE_URL!;
          assertSafeTestDatabase(serverUrl);
          const name = `t_docs_${randomBytes(6).toString('hex')}`;
          await adminQuery(serverUrl, `CREATE DATABASE "${name}"`);
          databases.push(name);
          databaseUrl = databaseUrlWithName(serverUrl, name);
        }
        const run = await runBlock(block, copy, databaseUrl);
        expect({ code: run.code, output: run.code === 0 ? '' : `${run.output}\n${serverLogs(copy)}` }).toEqual({ code: 0, output: '' });
      },
      BLOCK_TIMEOUT_MS,
    );
  }
});

/** The logs of the servers a failed block started (the prelude writes them under .docs-runner/). */
function serverLogs(copy: string): string {
  const logs = join(copy, '.docs-runner');
  return readdirSync(logs)
    .filter((name) => name.endsWith('.log'))
    .map((name) => `--- ${name} (tail)\n${readFileSync(join(logs, name), 'utf8').slice(-4_000)}`)
    .join('\n');
}
