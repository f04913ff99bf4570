import { DataSource } from 'typeorm';
import { buildDataSourceOptions, databaseConfigSchema, loadConfig } from '@app/service-core';
import { schema } from './schema';

/**
 * For the TypeORM CLI only (`npm run migration:generate -- <Name>`), against a real server in
 * DATABASE_URL. Generated migrations are read and tidied by a person before they are committed.
 */
const config = loadConfig(databaseConfigSchema);
if (config.target.kind !== 'server') {
  throw new Error('migration:generate needs DATABASE_URL (a PostgreSQL server with the current schema)');
}
export default new DataSource(buildDataSourceOptions(config.target.url, config, schema));
