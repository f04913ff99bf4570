import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from '../support/eventually';

const ROOT = resolve(__dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** The pid of the child of `parent` whose command line runs `script` (Linux /proc). */
function childRunning(parent: number, script: string): number {
  const children = readdirSync(`/proc/${parent}/task`).flatMap((task) =>
    readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
  const pid = children.find((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').includes(script));
  if (pid === undefined) {
    throw new Error(`no child of ${parent} runs ${script}`);
  }
  return pid;
}

/** `npm start` as a developer runs it: build, the dev IdP and the API on embedded defaults, all in a temp dir. */
describe('npm start (scripts/start-dev.js)', () => {
  let dataDir: string;
  let start: ChildProcess | undefined;
  let output = '';

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'start-dev-'));
  });

  afterAll(() => {
    start?.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('exits 0 when the API shuts down cleanly on SIGTERM, stopping the dev IdP and leaving nothing listening', async () => {
    const [port, idpPort] = [await freePort(), await freePort()];
    start = spawn(process.execPath, [join(ROOT, 'scripts/start-dev.js')], {
      cwd: ROOT,
      // Only what npm start needs: no DATABASE_URL or LOGTO_* from the caller, so it runs on its embedded defaults.
      env: {
        PATH: process.env.PATH,
        HOME: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        DEV_IDP_PORT: String(idpPort),
        DEV_IDP_DATA_DIR: join(dataDir, 'dev-idp'),
        EMBEDDED_DB_DIR: join(dataDir, 'pglite'),
        KEYS_DIR: join(dataDir, 'keys'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [start.stdout, start.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        output = (output + chunk).slice(-8_000);
      });
    }
    const exited = once(start, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const health = `http://127.0.0.1:${port}/api/health`;

    // The build and the first boot (migrations on a fresh embedded database) take a while on a busy machine.
    await eventually(
      async () => {
        expect(start?.exitCode).toBeNull();
        expect((await fetch(health)).status).toBe(200);
      },
      { within: 240_000, every: 500 },
    ).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nnpm start said:\n${output}`);
    });

    // What a process manager does to the API: SIGTERM; it drains, exits 0, and npm start follows with 0.
    process.kill(childRunning(start.pid!, 'dist/apps/api/src/main.js'), 'SIGTERM');
    const [code, signal] = await exited;
    expect({ code, signal, output: code === 0 ? '' : output }).toEqual({ code: 0, signal: null, output: '' });
    await expect(fetch(health)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${idpPort}/oidc/.well-known/openid-configuration`)).rejects.toThrow();
  }, 300_000);
});
