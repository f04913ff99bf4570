import { Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../apps/api/src/configure-app';
import { createTestDatabase, TestDatabase } from './test-database';
import { createTestKeysDir } from './test-keys';

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly database: TestDatabase;
  /** The Node HTTP server, for supertest. */
  readonly server: ReturnType<NestFastifyApplication['getHttpServer']>;
  close(): Promise<void>;
}

/**
 * Boots the real app (the same createApp as main.ts) on its own database, listening on a loopback port. Its
 * configuration is exactly these defaults plus `env`: the process's environment is neither read nor changed.
 */
export async function startTestApp(env: Record<string, string> = {}, extraModules: Type[] = []): Promise<TestApp> {
  const database = await createTestDatabase();
  const embedded = database.isServer ? {} : { DB_POOL_SIZE: '1', DB_MIGRATIONS_LOCK: 'false' };
  const defaults = { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url, DB_BOOT_RETRY_SECONDS: '5', PUBLIC_URL: 'http://127.0.0.1:3000' };
  const keys = env.KEYS_DIR === undefined ? { KEYS_DIR: createTestKeysDir() } : {};
  const app = await createApp({ extraModules, env: { ...defaults, ...keys, ...embedded, ...env } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    app,
    database,
    server: app.getHttpServer(),
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
