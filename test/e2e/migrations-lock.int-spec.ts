import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, MIGRATIONS_TABLE, runMigrations } from '@app/service-core';
import { schema } from '../../apps/api/src/database/schema';
import { databaseUrlWithName } from '../support/database-safety';
import { requiresServer } from '../support/test-database';

/** Two replicas booting together on an empty database: the advisory lock lets exactly one apply each migration. */
describe('boot-time migrations under the advisory lock', () => {
  const onServer = requiresServer('two sessions racing for the migrations lock');

  (onServer ? it : it.skip)('apply every migration exactly once when two replicas race', async () => {
    const serverUrl = process.env.TEST_DATABASE_URL!;
    const name = `t_${process.ppid}_migrations_race`;
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"`);
    const url = databaseUrlWithName(serverUrl, name);
    const replicas = [0, 1].map(() => new DataSource(buildDataSourceOptions(url, { poolSize: 2, connectTimeoutMs: 5000, statementTimeoutMs: 60_000 }, schema)));
    try {
      await Promise.all(replicas.map((replica) => replica.initialize()));
      const applied = await Promise.all(replicas.map((replica) => runMigrations(replica, url, { lock: true })));
      const total = (schema.migrations as unknown[]).length;
      expect(applied.flat()).toHaveLength(total);
      const rows = await replicas[0]!.query(`SELECT name FROM ${MIGRATIONS_TABLE}`);
      expect(rows).toHaveLength(total);
    } finally {
      await Promise.all(replicas.filter((replica) => replica.isInitialized).map((replica) => replica.destroy()));
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    }
  });
});
