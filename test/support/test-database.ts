import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { assertSafeTestDatabase, databaseUrlWithName } from './database-safety';
import { startEmbeddedPostgresProcess } from './embedded-postgres-process';

export interface TestDatabase {
  readonly url: string;
  /** True on a real PostgreSQL server; false on embedded PGlite (one session, no cross-connection tests). */
  readonly isServer: boolean;
  drop(): Promise<void>;
}

/** A freshly migrated database of this test file's own, cloned from the run's template. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  const template = process.env.CAMELEER_TEST_TEMPLATE;
  if (serverUrl !== undefined && serverUrl !== '' && template !== undefined) {
    assertSafeTestDatabase(serverUrl);
    const name = `t_${process.ppid}_${randomBytes(6).toString('hex')}`;
    await adminQuery(serverUrl, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
    return {
      url: databaseUrlWithName(serverUrl, name),
      isServer: true,
      drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
    };
  }
  const dump = process.env.CAMELEER_TEST_PGLITE_DUMP;
  if (dump === undefined) {
    throw new Error('the test database template is missing: run the suite through jest (globalSetup prepares it)');
  }
  const embedded = await startEmbeddedPostgresProcess(dump);
  return { url: embedded.url, isServer: false, drop: () => embedded.stop() };
}

/** One statement on the server as its admin (CREATE/DROP DATABASE), on a connection of its own. */
export async function adminQuery(url: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Whether a real PostgreSQL server backs the tests; tests that need one (several sessions, restarts) are skipped
 * on PGlite with a printed reason, unless CAMELEER_TEST_REQUIRE_ALL=1 (CI), where a skip fails the run.
 */
export function requiresServer(reason: string): boolean {
  const available = process.env.TEST_DATABASE_URL !== undefined && process.env.TEST_DATABASE_URL !== '';
  if (!available) {
    if (process.env.CAMELEER_TEST_REQUIRE_ALL === '1') {
      throw new Error(`a test needs a PostgreSQL server (${reason}) but TEST_DATABASE_URL is not set`);
    }
    process.stdout.write(`skipped (needs a PostgreSQL server: ${reason}); set TEST_DATABASE_URL to run it\n`);
  }
  return available;
}

/** `it` for a test that needs a real server, `it.skip` (with the printed reason) on PGlite: skipped, never passed. */
export function itOnServer(reason: string): jest.It {
  return requiresServer(reason) ? it : it.skip;
}
