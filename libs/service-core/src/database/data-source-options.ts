import { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { DatabaseConfig } from './database.config';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type MigrationList = MixedList<Function | string>;

export interface SchemaDefinition {
  readonly entities: EntityList;
  readonly migrations: MigrationList;
}

export const MIGRATIONS_TABLE = 'schema_migrations';

/**
 * The one place TypeORM is configured: the app, the migration CLI and the test harness all build
 * their DataSource from here. `synchronize` is off everywhere; the schema changes only by migrations.
 */
export function buildDataSourceOptions(url: string, config: Pick<DatabaseConfig, 'poolSize' | 'connectTimeoutMs' | 'statementTimeoutMs'>, schema: SchemaDefinition): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Ids default to gen_random_uuid() (core PostgreSQL); the migrations own the schema, extensions included.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    migrationsRun: false,
    logging: false,
    extra: {
      max: config.poolSize,
      connectionTimeoutMillis: config.connectTimeoutMs,
      statement_timeout: config.statementTimeoutMs,
      idleTimeoutMillis: 30_000,
      application_name: 'cameleer-saas',
    },
  };
}
