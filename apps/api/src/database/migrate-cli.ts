import { DataSource } from 'typeorm';
import { EXIT_OK, runCli } from '@app/cli';
import { buildDataSourceOptions, initializeWithRetry, runMigrations, startEmbeddedPostgres } from '@app/service-core';
import { databaseConfigOrFail, databaseFailure } from './database-cli';
import { schema } from './schema';

/**
 * `npm run migration:run`: applies pending migrations and exits, for deployments that run
 * migrations as a step of their own (then set DB_MIGRATIONS_RUN=false on the app).
 */
void runCli(
  {
    name: 'migration:run',
    summary:
      'Applies pending migrations and exits, for deployments that run migrations as a step of their own (then set DB_MIGRATIONS_RUN=false on the app).\n' +
      'Configured by the environment: DATABASE_URL (or the embedded database in development) and DB_* (see the README).',
    usage: 'npm run migration:run   (or: node dist/apps/api/src/database/migrate-cli.js)',
    options: {},
    exitCodes: {
      1: 'failed: the database could not be reached, or a migration failed (its changes are rolled back)',
      2: 'usage error, or the configuration is invalid (every problem is listed)',
    },
  },
  async () => {
    const config = databaseConfigOrFail();
    try {
      const embedded = config.target.kind === 'embedded' ? await startEmbeddedPostgres(config.target.dataDir) : undefined;
      const url = config.target.kind === 'server' ? config.target.url : embedded!.url;
      const dataSource = new DataSource(buildDataSourceOptions(url, config, schema));
      try {
        await initializeWithRetry(dataSource, config.bootRetrySeconds);
        const applied = await runMigrations(dataSource, url, { lock: config.migrationsLock });
        process.stdout.write(applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'no pending migrations\n');
        return EXIT_OK;
      } finally {
        if (dataSource.isInitialized) {
          await dataSource.destroy();
        }
        await embedded?.stop();
      }
    } catch (error) {
      throw databaseFailure(error);
    }
  },
);
