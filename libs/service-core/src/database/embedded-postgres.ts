import { accessSync, constants, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';

/**
 * Embedded PostgreSQL for development: PGlite (PostgreSQL compiled to WASM) served on a loopback
 * port through pglite-socket, so the app talks to it with the same `pg` driver and code path it
 * uses against a real server. Data lives in a git-ignored directory and survives restarts.
 */
export interface EmbeddedPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedPostgres(dataDir: string, logger = new Logger('EmbeddedPostgres')): Promise<EmbeddedPostgres> {
  const directory = resolve(dataDir);
  mkdirSync(directory, { recursive: true });
  // PGlite reports a folder it may not use as a bare emscripten errno; this names the folder (EACCES, with its path).
  accessSync(directory, constants.R_OK | constants.W_OK | constants.X_OK);
  // Loaded lazily: PGlite is only ever needed in development mode.
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
  const db = await PGlite.create({ dataDir: directory });
  // The app keeps a pool of one; the headroom is for psql or a migration CLI beside it.
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
  await server.start();
  const address = (server as unknown as { server?: { address(): { port: number } | string | null } }).server?.address();
  if (address === undefined || address === null || typeof address === 'string') {
    throw new Error('embedded PostgreSQL did not report its port');
  }
  logger.log(`embedded PostgreSQL (PGlite) in ${directory} on 127.0.0.1:${address.port}`);
  return {
    url: `postgres://postgres@127.0.0.1:${address.port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}
