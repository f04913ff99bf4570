import { DataSource } from 'typeorm';
import { openSchemaDatabase, SchemaDatabase } from '../support/schema-database';

/**
 * The entities are the one description of each table in code, the migrations the one way the schema changes:
 * on a freshly migrated database TypeORM's schema builder must find nothing to change. A diff here means an
 * entity and its migration disagree: a table, column, type, length, nullability, default, primary or foreign
 * key, unique, or an index or check missing on one side. (The builder matches checks by name and indexes by
 * name, uniqueness and columns: a check's expression or an index's WHERE and column order are not compared.)
 */
describe('entities and migrations agree', () => {
  let opened: SchemaDatabase | undefined;
  let dataSource: DataSource | undefined;

  beforeAll(async () => {
    opened = await openSchemaDatabase();
    ({ dataSource } = opened);
  });

  afterAll(async () => {
    await opened?.close();
  });

  it('the schema builder proposes no change on a freshly migrated database', async () => {
    const pending = await dataSource!.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });
});
