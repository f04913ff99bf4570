import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/service-core';
import { schema } from '../../apps/api/src/database/schema';
import { createTestDatabase, TestDatabase } from '../support/test-database';

/**
 * The entities are the one description of each table in code, the migrations the one way the schema changes:
 * on a freshly migrated database TypeORM's schema builder must find nothing to change. A diff here means an
 * entity and its migration disagree (a column, a type, a default, an index, a unique or a check).
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
    // TRANSITIONAL (issue 11): the agents lib's entities do not declare their constraints and indexes yet; once they
    // do, this filter goes and every entity is checked.
    const awaitingOwner = /"(agents|agent_bootstrap_tokens|agent_assertion_jtis|audit_events)"|"ix_(agents|agent_bootstrap_tokens|agent_assertion_jtis|audit_events)_/;
    expect(pending.upQueries.map((query) => query.query).filter((query) => !awaitingOwner.test(query))).toEqual([]);
  });
});
