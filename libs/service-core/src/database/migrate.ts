import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

// An arbitrary but fixed 64-bit key: every replica of cameleer-saas contends for the same lock.
const MIGRATIONS_LOCK_KEY = '7453728519203846201';

/**
 * Runs pending migrations. With `lock`, the run is serialized across replicas by a session-level
 * advisory lock held on a connection of its own (so a pool of one connection cannot deadlock):
 * the second replica waits, then finds nothing left to run.
 */
export async function runMigrations(dataSource: DataSource, url: string, options: { lock: boolean }, logger = new Logger('Migrations')): Promise<string[]> {
  if (!options.lock) {
    return names(await dataSource.runMigrations({ transaction: 'each' }), logger);
  }
  const lockClient = new Client({ connectionString: url, application_name: 'cameleer-saas-migrations' });
  await lockClient.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock($1::bigint)', [MIGRATIONS_LOCK_KEY]);
    try {
      return names(await dataSource.runMigrations({ transaction: 'each' }), logger);
    } finally {
      await lockClient.query('SELECT pg_advisory_unlock($1::bigint)', [MIGRATIONS_LOCK_KEY]);
    }
  } finally {
    await lockClient.end();
  }
}

function names(migrations: { name: string }[], logger: Logger): string[] {
  for (const migration of migrations) {
    logger.log(`applied migration ${migration.name}`);
  }
  return migrations.map((migration) => migration.name);
}
