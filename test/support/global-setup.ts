import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { assertSafeTestDatabase, databaseUrlWithName } from './database-safety';
import { startEmbeddedPostgresProcess } from './embedded-postgres-process';
import { migrateDatabase } from './migrate-database';

/**
 * Migrates a template database once per run. With TEST_DATABASE_URL each test file then gets
 * `CREATE DATABASE … TEMPLATE`; without it, each file starts its own PGlite from a dump of the template.
 * The int and e2e projects both name this setup; the first one prepares the template, the other finds it.
 */
export default async function globalSetup(): Promise<void> {
  if (process.env.CAMELEER_TEST_TEMPLATE !== undefined || process.env.CAMELEER_TEST_PGLITE_DUMP !== undefined) {
    return;
  }
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (serverUrl !== undefined && serverUrl !== '') {
    assertSafeTestDatabase(serverUrl);
    const template = `t_template_${process.pid}_${Date.now().toString(36)}`;
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE "${template}"`);
    } finally {
      await admin.end();
    }
    await migrateDatabase(databaseUrlWithName(serverUrl, template));
    process.env.CAMELEER_TEST_TEMPLATE = template;
    process.stdout.write(`\ntests use PostgreSQL at ${new URL(serverUrl).host} (template ${template})\n`);
    return;
  }
  const embedded = await startEmbeddedPostgresProcess();
  try {
    await migrateDatabase(embedded.url);
    const dumpPath = join(mkdtempSync(join(tmpdir(), 'cameleer-test-')), 'template.tar.gz');
    await embedded.dump(dumpPath);
    process.env.CAMELEER_TEST_PGLITE_DUMP = dumpPath;
    process.stdout.write('\ntests use embedded PostgreSQL (PGlite); set TEST_DATABASE_URL to use a server\n');
  } finally {
    await embedded.stop();
  }
}
