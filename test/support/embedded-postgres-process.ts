import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface EmbeddedPostgresProcess {
  readonly url: string;
  readonly child: ChildProcess;
  dump(path: string): Promise<void>;
  stop(): Promise<void>;
}

/** Starts PGlite in a child process (optionally from a dump) and returns its connection URL. */
export async function startEmbeddedPostgresProcess(loadFrom?: string): Promise<EmbeddedPostgresProcess> {
  const child = fork(join(__dirname, 'pglite-server.mjs'), loadFrom !== undefined ? ['--load', loadFrom] : [], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    child.once('exit', (code) => reject(new Error(`embedded PostgreSQL exited with ${code}`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    child,
    dump: (path) =>
      new Promise<void>((resolve) => {
        child.once('message', () => resolve());
        child.send({ op: 'dump', path });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
