import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { serviceConfig, ServiceConfig } from '../config/service.config';
import { redactPaths, sanitizeUrl } from './redaction';

// Health probes and forward-auth run on every tick or every platform request: never request-logged.
const QUIET_PATHS = ['/api/health', '/api/auth/verify'];

@Module({
  imports: [
    LoggerModule.forRootAsync({
      imports: [ConfigModule.forFeature(serviceConfig)],
      inject: [serviceConfig.KEY],
      useFactory: (config: ServiceConfig) => ({
        pinoHttp: {
          level: config.logLevel,
          redact: { paths: redactPaths, censor: '[redacted]' },
          genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? 'unknown',
          customProps: (req: IncomingMessage) => ({ requestId: (req as IncomingMessage & { id?: string }).id }),
          autoLogging: { ignore: (req: IncomingMessage) => QUIET_PATHS.some((path) => (req.url ?? '').startsWith(path)) },
          customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
            error !== undefined || res.statusCode >= 500 ? 'error' : 'info',
          serializers: {
            req: (req: { id?: string; method?: string; url?: string; headers?: Record<string, unknown>; remoteAddress?: string }) => ({
              id: req.id,
              method: req.method,
              url: sanitizeUrl(req.url ?? ''),
              headers: req.headers,
              remoteAddress: req.remoteAddress,
            }),
          },
          // Readable lines while developing; JSON (one object per line) everywhere else.
          transport: config.development ? { target: 'pino-pretty', options: { singleLine: true, colorize: true } } : undefined,
        },
      }),
    }),
  ],
})
export class LoggingModule {}
