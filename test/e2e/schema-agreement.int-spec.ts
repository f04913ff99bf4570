import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/service-core';
import { schema } from '../../apps/api/src/database/schema';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * The entities are the one description of each table in code, the migrations the one way the schema changes:
 * on a freshly migrated database TypeORM's schema builder must find nothing to change. A diff here means an
 * entity and its migration disagree: a table, column, type, length, nullability, default, primary or foreign
 * key, unique, or an index or check missing on one side. (The builder matches checks by name and indexes by
 * name, uniqueness and columns: a check's expression or an index's WHERE and column order are not compared.)
 */
describe('entities and migrations agree', () => {
  let database: TestDatabase | undefined;
  let dataSource: DataSource | undefined;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource(buildDataSourceOptions(database.url, { poolSize: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 60_000 }, schema));
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('the schema builder proposes no change on a freshly migrated database', async () => {
    const pending = await dataSource!.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });
});
