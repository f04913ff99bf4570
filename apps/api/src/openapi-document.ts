import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { OpenAPIObject } from '@nestjs/swagger';
import { buildOpenApiDocument, createHttpAdapter } from '@app/service-core';
import { AppModule } from './app.module';
import { openApiInfo } from './configure-app';

/**
 * The OpenAPI document from route metadata alone: preview mode instantiates no provider, so
 * neither a database nor keys are needed. `npm run openapi` writes it; CI fails on drift.
 */
export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, createHttpAdapter({ bodyLimitBytes: 65536 }), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  app.setGlobalPrefix('api', { exclude: ['.well-known/{*path}'] });
  const document = buildOpenApiDocument(app, openApiInfo);
  await app.close();
  return document;
}
