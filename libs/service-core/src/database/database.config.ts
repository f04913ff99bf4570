import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig } from '../config/config-schema';
import { ToBoolean } from '../config/transformers';

class DatabaseEnv {
  /** postgres://user:password@host:port/database — required in production. */
  @IsOptional() @IsString()
  DATABASE_URL?: string;

  @Type(() => Number) @IsInt() @Min(1) @Max(200)
  DB_POOL_SIZE = 10;

  /** Run pending migrations at boot. Turn off when migrations run as a separate step. */
  @ToBoolean() @IsBoolean()
  DB_MIGRATIONS_RUN = true;

  /** Serialize boot-time migrations across replicas with a PostgreSQL advisory lock. */
  @ToBoolean() @IsBoolean()
  DB_MIGRATIONS_LOCK = true;

  /** How long to keep retrying an unreachable database at boot before exiting. */
  @Type(() => Number) @IsInt() @Min(0) @Max(3600)
  DB_BOOT_RETRY_SECONDS = 60;

  /** How long a request waits for a pooled connection before it is answered 503. */
  @Type(() => Number) @IsInt() @Min(100)
  DB_CONNECT_TIMEOUT_MS = 5000;

  @Type(() => Number) @IsInt() @Min(100)
  DB_STATEMENT_TIMEOUT_MS = 15_000;

  /** Where the embedded development database keeps its files (development mode only). */
  @IsString()
  EMBEDDED_DB_DIR = '.data/pglite';
}

export type DatabaseTarget =
  | { readonly kind: 'server'; readonly url: string }
  | { readonly kind: 'embedded'; readonly dataDir: string };

export interface DatabaseConfig {
  readonly target: DatabaseTarget;
  readonly poolSize: number;
  readonly migrationsRun: boolean;
  readonly migrationsLock: boolean;
  readonly bootRetrySeconds: number;
  readonly connectTimeoutMs: number;
  readonly statementTimeoutMs: number;
}

export const databaseConfigSchema: ConfigSchema<DatabaseEnv, DatabaseConfig> = {
  namespace: 'database',
  env: DatabaseEnv,
  secrets: ['DATABASE_URL'],
  map: (env, context) => {
    if (env.DATABASE_URL !== undefined) {
      let url: URL;
      try {
        url = new URL(env.DATABASE_URL);
      } catch {
        throw new ConfigValidationError(['DATABASE_URL: not a URL (expected postgres://user:password@host:port/database)']);
      }
      if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
        throw new ConfigValidationError(['DATABASE_URL: must start with postgres:// or postgresql://']);
      }
    } else if (!context.development) {
      throw new ConfigValidationError([
        'DATABASE_URL: required (set it to postgres://user:password@host:port/database; the embedded database exists only in development mode, `npm start`)',
      ]);
    }
    const target: DatabaseTarget =
      env.DATABASE_URL !== undefined ? { kind: 'server', url: env.DATABASE_URL } : { kind: 'embedded', dataDir: env.EMBEDDED_DB_DIR };
    return {
      target,
      // PGlite is a single session: more than one pooled connection would queue behind it anyway.
      poolSize: target.kind === 'embedded' ? 1 : env.DB_POOL_SIZE,
      migrationsRun: env.DB_MIGRATIONS_RUN,
      // One embedded process cannot race itself, and PGlite's one session would deadlock on the lock.
      migrationsLock: target.kind === 'server' && env.DB_MIGRATIONS_LOCK,
      bootRetrySeconds: env.DB_BOOT_RETRY_SECONDS,
      connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
    };
  },
};

export const databaseConfig = registerConfig(databaseConfigSchema);
