import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const MAIN = join(__dirname, '../../apps/api/src/main.ts');
const REGISTER_TS = join(__dirname, '../../scripts/register-ts.js');

/** A complete production configuration; each test spoils what it needs. */
const PRODUCTION: NodeJS.ProcessEnv = {
  NODE_ENV: 'production',
  PORT: '0',
  HOST: '127.0.0.1',
  PUBLIC_URL: 'https://api.cameleer.example',
  LOGTO_ENDPOINT: 'https://auth.cameleer.example',
  LOGTO_API_RESOURCE: 'https://api.cameleer.example',
  LICENSE_ISSUER: 'https://api.cameleer.example',
  TENANT_BASE_DOMAIN: 'cameleer.example',
};

/** Runs the real entry point (main.ts) with exactly this environment until it exits. */
function boot(env: NodeJS.ProcessEnv): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['-r', REGISTER_TS, MAIN], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 });
}

/** The one line a failed production boot writes: stderr holds exactly one JSON object. */
function oneJsonLine(result: SpawnSyncReturns<string>): Record<string, unknown> {
  expect(result.status).toBe(1);
  // Before it, only JSON progress lines (the database retries), never Nest's own format.
  for (const progress of result.stdout.split('\n').filter((line) => line !== '')) {
    expect(JSON.parse(progress)).toMatchObject({ level: 40, context: 'Database' });
  }
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  const line = JSON.parse(lines[0] as string) as Record<string, unknown>;
  expect(line).toMatchObject({ level: 60, msg: expect.stringMatching(/^cameleer-saas failed to start: /) });
  return line;
}

describe('boot errors', () => {
  it('reports every bad variable of every namespace in one message, before trying the database', () => {
    const result = boot({
      ...PRODUCTION,
      PORT: 'not-a-port',
      BODY_LIMIT_BYTES: '12',
      LOGTO_ENDPOINT: undefined,
      PUBLIC_URL: undefined,
      LICENSE_TOKEN_TTL: 'forever',
      AGENT_RATE_LIMIT_MAX: '-3',
      // Nothing listens on port 9: had the database been tried first, the boot would retry it for a minute, then say so.
      DATABASE_URL: 'postgres://postgres@127.0.0.1:9/t_never_tried',
      DB_BOOT_RETRY_SECONDS: '60',
    });
    const line = oneJsonLine(result);
    expect(line.error).toBe('ConfigValidationError');
    const named = (line.problems as string[]).map((problem) => problem.split(':')[0]);
    expect(new Set(named)).toEqual(new Set(['PORT', 'BODY_LIMIT_BYTES', 'LOGTO_ENDPOINT', 'PUBLIC_URL', 'LICENSE_TOKEN_TTL', 'AGENT_RATE_LIMIT_MAX']));
    expect(line.msg).not.toMatch(/PostgreSQL/);
  });

  it('reports a missing DATABASE_URL together with the rest', () => {
    const line = oneJsonLine(boot({ ...PRODUCTION, LOGTO_API_RESOURCE: undefined }));
    const named = (line.problems as string[]).map((problem) => problem.split(':')[0]);
    expect(new Set(named)).toEqual(new Set(['DATABASE_URL', 'LOGTO_API_RESOURCE']));
  });

  describe('after the configuration', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => {
      await database?.drop();
    });

    it('a boot failure in production (missing key files) is one JSON line naming the fix, without Nest’s logs or a stack', () => {
      const keys = join(mkdtempSync(join(tmpdir(), 'boot-errors-')), 'keys');
      const line = oneJsonLine(boot({ ...PRODUCTION, DATABASE_URL: database.url, DB_POOL_SIZE: '1', KEYS_DIR: keys }));
      expect(line).toMatchObject({ error: 'KeyringError', msg: expect.stringContaining(`key folder ${keys}/`) });
      expect(line.msg).toMatch(/run `npm run keys:generate -- --purpose \w+ --dir /);
      expect(JSON.stringify(line)).not.toMatch(/\n\s+at |\\n\s+at /);
    });
  });

  it('an unreachable database is one line too, after the configuration passed', () => {
    const line = oneJsonLine(boot({ ...PRODUCTION, DATABASE_URL: 'postgres://postgres@127.0.0.1:9/t_unreachable', DB_BOOT_RETRY_SECONDS: '1' }));
    expect(line.msg).toMatch(/PostgreSQL is unreachable after retrying for 1s/);
  });
});
