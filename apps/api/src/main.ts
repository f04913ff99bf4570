import 'reflect-metadata';
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
  const base = url.replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
  // Printed (not only logged) so a newcomer running `npm start` sees where to go.
  process.stdout.write(`\ncameleer-saas is listening on ${base}\n  API docs: ${base}/api/docs\n  Health:   ${base}/api/health\n\n`);
}

bootstrap().catch((error: unknown) => {
  reportBootFailure(error, process.env);
  process.exit(1);
});
