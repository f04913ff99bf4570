import 'reflect-metadata';
import { ConfigValidationError, databaseConfigSchema, loadConfig, serviceConfigSchema, waitForDatabase } from '@app/service-core';
import { createApp } from './configure-app';
import { installGracefulShutdown } from './shutdown';

async function bootstrap(): Promise<void> {
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
  if (error instanceof ConfigValidationError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`cameleer-saas failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
