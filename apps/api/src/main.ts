import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { databaseConfigSchema, loadConfig, serviceConfigSchema, waitForDatabase } from '@app/service-core';
import { reportBootFailure, useJsonBootLogs } from './boot-log';
import { assertAppConfigValid, createApp } from './configure-app';
import { installGracefulShutdown } from './shutdown';

async function bootstrap(): Promise<void> {
  useJsonBootLogs(process.env);
  // Every bad variable of every namespace, in one message, before any connection is attempted.
  assertAppConfigValid(process.env);
  const database = loadConfig(databaseConfigSchema);
  if (database.target.kind === 'server') {
    await waitForDatabase(database.target.url, database.bootRetrySeconds);
  }
  const app = await createApp();
  const service = loadConfig(serviceConfigSchema);
  installGracefulShutdown(app, service.shutdownTimeoutMs);
  await app.listen({ port: service.port, host: service.host });
  const url = await app.getUrl();
  // One name for this machine wherever a URL is shown (npm start's banner says the same).
  const base = url.replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost').replace('127.0.0.1', 'localhost');
  // Logged, not printed: `npm start` prints where to go once the boot logs have settled.
  new Logger('Bootstrap').log(`listening on ${base} (API docs at ${base}/api/docs)`);
}

bootstrap().catch((error: unknown) => {
  reportBootFailure(error, process.env);
  process.exit(1);
});
