import { DynamicModule, Logger, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { initializeWithRetry } from './connect-with-retry';
import { buildDataSourceOptions, SchemaDefinition } from './data-source-options';
import { databaseConfig, DatabaseConfig } from './database.config';
import { DatabaseEndpoint } from './database-endpoint';
import { runMigrations } from './migrate';
import { ChangeBus } from './change-bus';

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
      providers: [ChangeBus],
      exports: [TypeOrmModule, DatabaseEndpointModule, ChangeBus],
      global: true,
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
