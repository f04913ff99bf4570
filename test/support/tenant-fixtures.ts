/**
 * Support for the tenants e2e specs: a dev IdP with an M2M app for the Management API, the env that points the
 * app at it, Management API calls for test setup and assertions, and booting the app on an existing database
 * (for restarts: startTestApp creates a fresh database each time).
 */
import { randomUUID } from 'node:crypto';
import { Type } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Client } from 'pg';
import { createApp } from '../../apps/api/src/configure-app';
import { type DevIdp, MANAGEMENT_API_RESOURCE, startDevIdp } from './dev-idp';
import { createTestDatabase, TestDatabase } from './test-database';
import { createTestKeysDir } from './test-keys';
import { eventually as pollEventually } from './eventually';

export interface TenantsIdp {
  readonly idp: DevIdp;
  readonly m2m: { clientId: string; clientSecret: string };
  /** Env for startTestApp / startAppOn: Logto auth + Management API, fast reconciler, no rate limit in the way. */
  env(overrides?: Record<string, string>): Record<string, string>;
  /** A Management API call as the M2M app (test setup and assertions). */
  admin<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** Every organization in the IdP. */
  organizations(): Promise<{ id: string; name: string; customData: Record<string, unknown> }[]>;
  /** Creates the `owner` organization role unless it exists; returns its id. */
  ensureOwnerRole(): Promise<string>;
  /** Creates a Logto user (users exist only once created, as in Logto); returns its id. */
  createUser(name?: string): Promise<string>;
  operatorToken(scopes?: string[]): Promise<string>;
  /** A machine-to-machine application created through the Management API (as in Logto), with its secret. */
  machineApp(name: string): Promise<{ clientId: string; clientSecret: string }>;
  stop(): Promise<void>;
}

export async function startTenantsIdp(): Promise<TenantsIdp> {
  const idp = await startDevIdp();
  const m2m = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
  const keysDir = createTestKeysDir();
  let token: { value: string; at: number } | undefined;

  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    if (token === undefined || Date.now() - token.at > 60_000) {
      token = { value: await idp.clientCredentialsToken({ ...m2m, resource: MANAGEMENT_API_RESOURCE, scope: 'all' }), at: Date.now() };
    }
    const response = await fetch(`${idp.endpoint}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token.value}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    }
    const text = await response.text();
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };

  const organizations = async () => {
    const all: { id: string; name: string; customData: Record<string, unknown> }[] = [];
    for (let page = 1; ; page++) {
      const items = await admin<{ id: string; name: string; customData: Record<string, unknown> }[]>('GET', `/organizations?page=${page}&page_size=100`);
      all.push(...items);
      if (items.length < 100) {
        return all;
      }
    }
  };

  return {
    idp,
    m2m,
    env: (overrides = {}) => ({
      LOGTO_ENDPOINT: idp.endpoint,
      LOGTO_API_RESOURCE: idp.apiResource,
      LOGTO_M2M_APP_ID: m2m.clientId,
      LOGTO_M2M_APP_SECRET: m2m.clientSecret,
      LOGTO_TIMEOUT_MS: '1000',
      LOGTO_RETRIES: '1',
      KEYS_DIR: keysDir,
      PUBLIC_URL: 'http://127.0.0.1:3000',
      RATE_LIMIT_MAX: '100000',
      TENANT_RECONCILE_INTERVAL_MS: '200',
      TENANT_DRIFT_INTERVAL_MS: '3600000',
      TENANT_SYNC_BACKOFF_BASE_MS: '100',
      TENANT_SYNC_BACKOFF_MAX_MS: '500',
      DEFAULT_TENANT_SLUG: '',
      DEFAULT_TENANT_NAME: '',
      ...overrides,
    }),
    admin,
    organizations,
    ensureOwnerRole: async () => {
      const roles = await admin<{ id: string; name: string }[]>('GET', '/organization-roles?page_size=100');
      const existing = roles.find((role) => role.name === 'owner');
      return existing?.id ?? (await admin<{ id: string }>('POST', '/organization-roles', { name: 'owner' })).id;
    },
    createUser: async (name = 'user') => (await admin<{ id: string }>('POST', '/users', { username: `${name}_${randomUUID().replace(/-/g, '').slice(0, 12)}` })).id,
    operatorToken: (scopes = ['platform:read', 'platform:write']) => idp.mintUserToken({ sub: 'op', scopes }),
    machineApp: async (name) => {
      const { id } = await admin<{ id: string }>('POST', '/applications', { name, type: 'MachineToMachine' });
      // Logto's create answer carries no usable secret (1.42); the secrets endpoint does.
      const [secret] = await admin<{ value: string }[]>('GET', `/applications/${id}/secrets`);
      if (secret === undefined) {
        throw new Error(`application ${id} has no secret`);
      }
      return { clientId: id, clientSecret: secret.value };
    },
    stop: () => idp.stop(),
  };
}

export interface RunningApp {
  readonly app: NestFastifyApplication;
  readonly server: ReturnType<NestFastifyApplication['getHttpServer']>;
  close(): Promise<void>;
}

/** Boots the real app on `database` (already migrated); closing it leaves the database in place. */
export async function startAppOn(database: TestDatabase, env: Record<string, string>, extraModules: Type[] = []): Promise<RunningApp> {
  const embedded = database.isServer ? {} : { DB_POOL_SIZE: '1', DB_MIGRATIONS_LOCK: 'false' };
  const app = await createApp({ extraModules, env: { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: database.url, DB_BOOT_RETRY_SECONDS: '5', ...embedded, ...env } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, server: app.getHttpServer(), close: () => app.close() };
}

export { createTestDatabase };

/** Runs a query on the test database with a connection of its own. */
export async function queryDatabase<T = Record<string, unknown>>(url: string, sql: string, parameters: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, parameters)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Waits until `check` returns a value other than undefined (or fails after `timeoutMs`): a value-returning
 * form of the one polling helper, `eventually` in ./eventually.
 */
export function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  return pollEventually(
    async () => {
      const value = await check();
      if (value === undefined) {
        throw new Error(`still waiting for ${what}`);
      }
      return value;
    },
    { within: timeoutMs, every: 100 },
  );
}
