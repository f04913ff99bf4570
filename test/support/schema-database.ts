import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/service-core';
import { schema } from '../../apps/api/src/database/schema';
import { createTestDatabase, TestDatabase } from './test-database';

/** A migrated database of this test file's own with a DataSource on it (the app's entities, one connection). */
export interface SchemaDatabase {
  readonly database: TestDatabase;
  readonly dataSource: DataSource;
  close(): Promise<void>;
}

/** For specs that use the schema without the app: entities and migrations, persistence helpers, one migration. */
export async function openSchemaDatabase(): Promise<SchemaDatabase> {
  const database = await createTestDatabase();
  const dataSource = new DataSource(buildDataSourceOptions(database.url, { poolSize: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 60_000 }, schema));
  try {
    await dataSource.initialize();
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    database,
    dataSource,
    close: async () => {
      await dataSource.destroy();
      await database.drop();
    },
  };
}
