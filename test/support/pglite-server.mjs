// Embedded PostgreSQL for the test suite: one PGlite instance per process, served on a loopback port.
// Runs as its own process because PGlite cannot load inside Jest's VM.
//   node pglite-server.mjs [--load <dump.tar.gz>]
// Prints {"port":N} on stdout when ready. With an IPC channel, {op:"dump", path} writes a dump of the data dir.
import { writeFileSync, readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const loadIndex = process.argv.indexOf('--load');
const loadDataDir = loadIndex > 0 ? new Blob([readFileSync(process.argv[loadIndex + 1])]) : undefined;
const db = await PGlite.create(loadDataDir ? { loadDataDir } : {});
// Several connections share PGlite's one session through the server's query queue (transactions stay pinned).
const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
await server.start();
const { port } = server.server.address();
process.stdout.write(`${JSON.stringify({ port })}\n`);

process.on('message', async (message) => {
  if (message?.op === 'dump') {
    const dump = await db.dumpDataDir('gzip');
    writeFileSync(message.path, Buffer.from(await dump.arrayBuffer()));
    process.send({ op: 'dumped' });
  }
});
const stop = async () => {
  await server.stop().catch(() => undefined);
  await db.close().catch(() => undefined);
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
