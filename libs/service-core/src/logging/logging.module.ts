import { Module, RequestMethod } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import { stdSerializers } from 'pino';
import { serviceConfig, ServiceConfig } from '../config/service.config';
import { redactPaths, sanitizeUrl, withoutStatementValues } from './redaction';

// Health probes and forward-auth run on every tick or every platform request: they skip the
// request-logging middleware entirely (no per-request child logger, which costs real CPU).
const QUIET_ROUTES = ['health', 'health/ready', 'auth/verify'];

@Module({
  imports: [
    LoggerModule.forRootAsync({
      imports: [ConfigModule.forFeature(serviceConfig)],
      inject: [serviceConfig.KEY],
      useFactory: (config: ServiceConfig) => ({
        forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
        exclude: QUIET_ROUTES.map((path) => ({ path, method: RequestMethod.ALL })),
        pinoHttp: {
          level: config.logLevel,
          redact: { paths: redactPaths, censor: '[redacted]' },
          genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? 'unknown',
          customProps: (req: IncomingMessage) => ({ requestId: (req as IncomingMessage & { id?: string }).id }),
          customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
            error !== undefined || res.statusCode >= 500 ? 'error' : 'info',
          serializers: {
            req: (req: { id?: string; method?: string; url?: string; headers?: Record<string, unknown>; remoteAddress?: string }) => ({
              id: req.id,
              method: req.method,
              url: sanitizeUrl(req.url ?? ''),
              userAgent: req.headers?.['user-agent'],
              remoteAddress: req.remoteAddress,
            }),
            res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
            // A failed statement's parameters are request data (names, tokens, hostile bytes): never logged.
            err: (error: Error) => withoutStatementValues(stdSerializers.err(error)),
          },
          // Readable lines while developing; JSON (one object per line) everywhere else.
          transport: config.development ? { target: 'pino-pretty', options: { singleLine: true, colorize: true } } : undefined,
        },
      }),
    }),
  ],
})
export class LoggingModule {}
