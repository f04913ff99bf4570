import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';

/** Applies every migration to the database at `url` (used for the template). */
export async function migrateDatabase(url: string): Promise<void> {
  // globalSetup runs outside Jest's module mapper: resolve @app/* through tsconfig paths.
  // eslint-disable-next-line @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-call
  require('tsconfig-paths').register({ baseUrl: join(__dirname, '..', '..'), paths: tsconfigPaths() });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { schema } = require('../../apps/api/src/database/schema') as typeof import('../../apps/api/src/database/schema');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildDataSourceOptions, runMigrations } = require('@app/service-core') as typeof import('@app/service-core');
  const dataSource = new DataSource(buildDataSourceOptions(url, { poolSize: 1, connectTimeoutMs: 10_000, statementTimeoutMs: 60_000 }, schema));
  await dataSource.initialize();
  try {
    await runMigrations(dataSource, url, { lock: false });
  } finally {
    await dataSource.destroy();
  }
}

function tsconfigPaths(): Record<string, string[]> {
  const tsconfig = JSON.parse(readFileSync(join(__dirname, '..', '..', 'tsconfig.json'), 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
  return tsconfig.compilerOptions.paths;
}
