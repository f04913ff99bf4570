import { Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import {
  applyHttpDefaults,
  assertConfigValid,
  buildOpenApiDocument,
  createHttpAdapter,
  databaseConfigSchema,
  loadConfig,
  OpenApiClientCredentials,
  Metrics,
  observeHttpRequests,
  serveOpenApi,
  serviceConfigSchema,
  withConfigEnv,
} from '@app/service-core';
import { logtoConfigSchema } from '@app/logto-client';
import { keysConfigSchema, LogtoAuthConfig, logtoAuthConfigSchema, machineTokensConfigSchema, revocationsConfigSchema } from '@app/security';
import { licensingConfigSchema } from '@app/licensing';
import { forwardAuthConfigSchema } from '@app/forward-auth';
import { agentsConfigSchema } from '@app/agents';
import { tenantsConfigSchema } from '@app/tenants';
import { edgeSessionsConfigSchema } from '@app/edge-sessions';
import { logtoWebhooksConfigSchema } from '@app/logto-webhooks';
import { AppModule } from './app.module';

/** Every configuration namespace, validated together before the app is created. */
const configSchemas = [
  serviceConfigSchema,
  databaseConfigSchema,
  keysConfigSchema,
  logtoAuthConfigSchema,
  machineTokensConfigSchema,
  revocationsConfigSchema,
  logtoConfigSchema,
  tenantsConfigSchema,
  forwardAuthConfigSchema,
  licensingConfigSchema,
  agentsConfigSchema,
  edgeSessionsConfigSchema,
  logtoWebhooksConfigSchema,
];

export const openApiInfo = {
  title: 'cameleer-saas',
  description: 'Control plane of the Cameleer observability platform: tenants, licenses, agents and forward-auth.',
  version: '0.1.0',
};

export interface CreateAppOptions {
  /** Test-only controllers mounted beside the real app. */
  readonly extraModules?: Type[];
  /** The environment the configuration is read from (default: the process's); tests pass their own. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Builds the application exactly as production runs it; main.ts and the e2e tests both call this.
 * Throws ConfigValidationError (listing every bad key) before anything listens.
 */
export async function createApp(options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  const env = options.env ?? process.env;
  assertAppConfigValid(env);
  const service = loadConfig(serviceConfigSchema, env);
  const root = options.extraModules?.length ? withExtraModules(options.extraModules) : AppModule;
  const app = await withConfigEnv(env, () =>
    NestFactory.create<NestFastifyApplication>(root, createHttpAdapter(service), {
      bufferLogs: true,
      // Only JSON bodies are parsed (Fastify's own parser, with the body limit); Nest would add url-encoded too.
      bodyParser: false,
      abortOnError: false,
      // A failed boot is reported by its caller in one line: Nest neither prints its buffered boot logs nor the stack.
      autoFlushLogs: false,
    }),
  );
  app.useLogger(app.get(Logger));
  app.flushLogs();
  app.setGlobalPrefix('api', { exclude: ['.well-known/{*path}'] });
  applyHttpDefaults(app, service);
  observeHttpRequests(app.getHttpAdapter().getInstance(), app.get(Metrics));
  serveOpenApi(app, buildOpenApiDocument(app, openApiInfo), clientCredentialsLogin(loadConfig(logtoAuthConfigSchema, env)));
  return app;
}

/**
 * Validates every namespace (each lib's own schema) against `env` and throws one ConfigValidationError listing
 * every bad key of all of them: main.ts calls it before it attempts any connection.
 */
export function assertAppConfigValid(env: NodeJS.ProcessEnv = process.env): void {
  assertConfigValid(configSchemas, env);
}

/** The API docs' client-credentials login at Logto's token endpoint, once a Logto is configured. */
function clientCredentialsLogin(logto: LogtoAuthConfig): OpenApiClientCredentials | undefined {
  if (logto.issuer === undefined || logto.audience === undefined) {
    return undefined;
  }
  return {
    tokenUrl: `${logto.issuer}/token`,
    resource: logto.audience,
    // Tenant scopes come only from organization-scoped tokens, which this flow cannot request.
    scopes: { 'platform:read': 'read every tenant (role platform-automation)', 'platform:write': 'change every tenant (role platform-automation)' },
    bearerScheme: 'logto',
  };
}

/** Tests mount probe controllers beside the real app to exercise behaviour no product route shows yet. */
function withExtraModules(extraModules: Type[]): Type {
  @Module({ imports: [AppModule, ...extraModules] })
  class AppWithExtras {}
  return AppWithExtras;
}
