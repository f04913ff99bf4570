import { DataSource } from 'typeorm';
import { buildDataSourceOptions, databaseConfigSchema, initializeWithRetry, loadConfig, runMigrations, startEmbeddedPostgres } from '@app/service-core';
import { schema } from './schema';

/**
 * `npm run migration:run`: applies pending migrations and exits, for deployments that run
 * migrations as a step of their own (then set DB_MIGRATIONS_RUN=false on the app).
 */
async function main(): Promise<void> {
  const config = loadConfig(databaseConfigSchema);
  const embedded = config.target.kind === 'embedded' ? await startEmbeddedPostgres(config.target.dataDir) : undefined;
  const url = config.target.kind === 'server' ? config.target.url : embedded!.url;
  const dataSource = new DataSource(buildDataSourceOptions(url, config, schema));
  try {
    await initializeWithRetry(dataSource, config.bootRetrySeconds);
    const applied = await runMigrations(dataSource, url, { lock: config.migrationsLock });
    process.stdout.write(applied.length > 0 ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'no pending migrations\n');
  } finally {
    if (dataSource.isInitialized) {
      await dataSource.destroy();
    }
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
