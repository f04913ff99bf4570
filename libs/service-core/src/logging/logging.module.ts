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

/**
 * Nest's own boot chatter: a line per module and per route at info level. In development it buries the lines that
 * matter (migrations, the default tenant, warnings), so it is left out there; production logs keep it.
 */
const FRAMEWORK_BOOT_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory', 'NestApplication']);
const INFO_LEVEL = 30;

function withoutFrameworkBootChatter(this: unknown, args: unknown[], method: (...args: unknown[]) => void, level: number): void {
  const [first] = args;
  const context = typeof first === 'object' && first !== null ? (first as { context?: unknown }).context : undefined;
  if (level <= INFO_LEVEL && typeof context === 'string' && FRAMEWORK_BOOT_CONTEXTS.has(context)) {
    return;
  }
  method.apply(this, args);
}

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
          ...(config.development ? { hooks: { logMethod: withoutFrameworkBootChatter } } : {}),
          // Readable lines while developing; JSON (one object per line) everywhere else.
          transport: config.development ? { target: 'pino-pretty', options: { singleLine: true, colorize: true } } : undefined,
        },
      }),
    }),
  ],
})
export class LoggingModule {}
