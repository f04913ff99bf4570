import { DataSource } from 'typeorm';
import { TenantRetentionAndPurge1795966900000 } from '../../apps/api/src/database/migrations/1795966900000-TenantRetentionAndPurge';
import { insertTenantRow, sql } from '../support/tenant-rows';
import { openSchemaDatabase, SchemaDatabase } from '../support/schema-database';
import { TestDatabase } from '../support/test-database';

/**
 * Tenants deleted before the delete–restore–purge lifecycle lost their Logto organization at the delete: the
 * migration makes them not restorable (their purge counts as started, so the next pass finishes them) and leaves
 * every other tenant as it was.
 */
describe('migration TenantRetentionAndPurge1795966900000', () => {
  let opened: SchemaDatabase | undefined;
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    opened = await openSchemaDatabase();
    ({ database, dataSource } = opened);
  });

  afterAll(async () => {
    await opened?.close();
  });

  it('starts the purge of tenants deleted before it, and of no other', async () => {
    const migration = new TenantRetentionAndPurge1795966900000();
    const runner = dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      const deleted = await insertTenantRow(database.url, { status: 'DELETED' });
      const active = await insertTenantRow(database.url, { status: 'ACTIVE' });
      await migration.up(runner);
      const rows = await sql<{ id: string; purge_started_at: Date | null; purged_at: Date | null; purge_steps: string[] }>(
        database.url,
        'SELECT id, purge_started_at, purged_at, purge_steps FROM tenants WHERE id = ANY($1) ORDER BY status',
        [[deleted.id, active.id]],
      );
      expect(rows).toEqual([
        { id: active.id, purge_started_at: null, purged_at: null, purge_steps: [] },
        { id: deleted.id, purge_started_at: expect.any(Date), purged_at: null, purge_steps: [] },
      ]);
    } finally {
      await runner.release();
    }
  });
});
