import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { initializeWithRetry } from './connect-with-retry';
import { buildDataSourceOptions, SchemaDefinition } from './data-source-options';
import { databaseConfig, DatabaseConfig } from './database.config';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';
import { runMigrations } from './migrate';

/** Where the app's database is: a configured server, or the embedded one started for this process. */
@Injectable()
export class DatabaseEndpoint implements OnApplicationShutdown {
  private embedded?: EmbeddedPostgres;
  private resolvedUrl?: string;

  constructor(@Inject(databaseConfig.KEY) private readonly config: DatabaseConfig) {}

  async url(): Promise<string> {
    if (this.resolvedUrl === undefined) {
      const target = this.config.target;
      if (target.kind === 'server') {
        this.resolvedUrl = target.url;
      } else {
        this.embedded = await startEmbeddedPostgres(target.dataDir);
        this.resolvedUrl = this.embedded.url;
      }
    }
    return this.resolvedUrl;
  }

  get isEmbedded(): boolean {
    return this.config.target.kind === 'embedded';
  }

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}

@Module({
  imports: [ConfigModule.forFeature(databaseConfig)],
  providers: [DatabaseEndpoint],
  exports: [DatabaseEndpoint, ConfigModule],
})
class DatabaseEndpointModule {}

/**
 * TypeORM on PostgreSQL: connects with bounded retries, then applies migrations (under an advisory
 * lock on a real server) before the app serves a single request.
 */
@Module({})
export class DatabaseModule {
  static forRoot(schema: SchemaDefinition): DynamicModule {
    const logger = new Logger('Database');
    return {
      module: DatabaseModule,
      imports: [
        DatabaseEndpointModule,
        TypeOrmModule.forRootAsync({
          imports: [DatabaseEndpointModule],
          inject: [databaseConfig.KEY, DatabaseEndpoint],
          // Our own bounded backoff replaces TypeOrmModule's fixed retry loop.
          useFactory: async (config: DatabaseConfig, endpoint: DatabaseEndpoint) => ({
            ...buildDataSourceOptions(await endpoint.url(), config, schema),
            retryAttempts: 0,
            cameleerBoot: {
              bootRetrySeconds: config.bootRetrySeconds,
              migrationsRun: config.migrationsRun,
              migrationsLock: config.migrationsLock,
            } satisfies BootSettings,
          }),
          dataSourceFactory: async (options) => {
            if (options === undefined) {
              throw new Error('database options missing');
            }
            const dataSource = new DataSource(options);
            const config = databaseConfigFrom(options);
            await initializeWithRetry(dataSource, config.bootRetrySeconds, logger);
            if (config.migrationsRun) {
              await runMigrations(dataSource, config.url, { lock: config.migrationsLock }, logger);
            }
            return dataSource;
          },
        }),
      ],
      exports: [TypeOrmModule, DatabaseEndpointModule],
    };
  }
}

interface BootSettings {
  readonly bootRetrySeconds: number;
  readonly migrationsRun: boolean;
  readonly migrationsLock: boolean;
}

// dataSourceFactory receives only the options, not injected config: the boot settings travel inside
// them under a key TypeORM ignores.
function databaseConfigFrom(options: object): BootSettings & { url: string } {
  const boot = (options as { cameleerBoot?: BootSettings }).cameleerBoot;
  const url = (options as { url?: string }).url;
  if (boot === undefined || url === undefined) {
    throw new Error('database boot settings missing');
  }
  return { url, ...boot };
}
