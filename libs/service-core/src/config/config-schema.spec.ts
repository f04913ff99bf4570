import { setImmediate as nextTurn } from 'node:timers/promises';
import { assertConfigValid, ConfigValidationError, describeConfig, loadConfig, normalizeEnv, withConfigEnv } from './config-schema';
import { serviceConfigSchema } from './service.config';
import { databaseConfigSchema } from '../database/database.config';

const schemas = [serviceConfigSchema, databaseConfigSchema];

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    assertConfigValid(schemas, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      return [...error.problems];
    }
    throw error;
  }
}

describe('configuration', () => {
  it('lists every bad key of every namespace in one error', () => {
    const problems = problemsOf({ PORT: 'eighty', LOG_LEVEL: 'loud', DB_POOL_SIZE: '0', DATABASE_URL: 'mysql://x' });
    expect(problems.some((p) => p.startsWith('PORT:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('LOG_LEVEL:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('DB_POOL_SIZE:'))).toBe(true);
  });

  it('requires DATABASE_URL outside development mode, naming the variable', () => {
    expect(problemsOf({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/^DATABASE_URL: required/)]);
    // A process that forgot NODE_ENV is not development either.
    expect(problemsOf({})).toEqual([expect.stringMatching(/^DATABASE_URL: required/)]);
  });

  it('uses the embedded database only in explicit development mode', () => {
    const config = loadConfig(databaseConfigSchema, { CAMELEER_DEV: '1' });
    expect(config.target).toEqual({ kind: 'embedded', dataDir: '.data/pglite' });
    expect(config.poolSize).toBe(1);
    expect(config.migrationsLock).toBe(false);
  });

  it('refuses development mode in production', () => {
    expect(problemsOf({ NODE_ENV: 'production', CAMELEER_DEV: '1', DATABASE_URL: 'postgres://db/x' })).toEqual([
      expect.stringMatching(/^CAMELEER_DEV:/),
    ]);
  });

  it('treats an empty variable as unset', () => {
    expect(normalizeEnv({ PORT: '', HOST: '  ', A: 'x' })).toEqual({ A: 'x' });
    expect(loadConfig(serviceConfigSchema, { PORT: '', CAMELEER_DEV: '1' }).port).toBe(3000);
  });

  it('parses CORS origins and rejects anything that is not an origin', () => {
    const config = loadConfig(serviceConfigSchema, { CORS_ORIGINS: 'https://a.example, http://localhost:5173' });
    expect(config.corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
    expect(problemsOf({ CORS_ORIGINS: 'https://a.example/path', DATABASE_URL: 'postgres://db/x' })).toEqual([expect.stringMatching(/^CORS_ORIGINS:/)]);
  });

  it('masks secrets when the configuration is printed', () => {
    const printed = describeConfig(databaseConfigSchema, { DATABASE_URL: 'postgres://u:hunter2@db/x' });
    expect(printed.DATABASE_URL).toBe('********');
    expect(JSON.stringify(printed)).not.toContain('hunter2');
    expect(printed.DB_POOL_SIZE).toBe('10');
  });
});

describe('withConfigEnv', () => {
  it('gives each build its own environment, across awaits, without touching process.env', async () => {
    const before = { ...process.env };
    const portIn = (env: NodeJS.ProcessEnv) =>
      withConfigEnv(env, async () => {
        await nextTurn();
        return loadConfig(serviceConfigSchema).port;
      });
    await expect(Promise.all([portIn({ PORT: '4001' }), portIn({ PORT: '4002' })])).resolves.toEqual([4001, 4002]);
    expect(process.env).toEqual(before);
  });
});
