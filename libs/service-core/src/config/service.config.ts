import { Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig } from './config-schema';
import { ToBoolean } from './transformers';
import { parseTrustedProxies, TrustedProxies } from '../http/source-ip';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

class ServiceEnv {
  @IsOptional() @IsIn(['production', 'development', 'test'])
  NODE_ENV?: string;

  @ToBoolean() @IsBoolean()
  CAMELEER_DEV = false;

  @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  @IsOptional() @IsIn(LOG_LEVELS)
  LOG_LEVEL?: LogLevel;

  /** Comma-separated list of exact origins; none by default. */
  @IsOptional() @IsString()
  CORS_ORIGINS?: string;

  /** Largest request body accepted, in bytes; larger bodies get 413. */
  @Type(() => Number) @IsInt() @Min(1024) @Max(10 * 1024 * 1024)
  BODY_LIMIT_BYTES = 64 * 1024;

  /**
   * Comma-separated IPs or CIDRs of the reverse proxies in front of this API (e.g. Traefik). Only when the direct
   * peer is one of them is X-Forwarded-For read; empty = the peer address is the client (see sourceIpOf).
   */
  @IsOptional() @IsString()
  TRUSTED_PROXIES?: string;

  /** Default rate limit for every route: requests per window per client address. */
  @Type(() => Number) @IsInt() @Min(1)
  RATE_LIMIT_MAX = 600;

  @Type(() => Number) @IsInt() @Min(1000)
  RATE_LIMIT_WINDOW_MS = 60_000;

  /** A request's headers must arrive within this time (at most HTTP_REQUEST_TIMEOUT_MS); else 408 and the connection closes. */
  @Type(() => Number) @IsInt() @Min(1000)
  HTTP_HEADERS_TIMEOUT_MS = 10_000;

  /** A whole request, headers and body, must arrive within this time; a stalled or dripping body is cut. */
  @Type(() => Number) @IsInt() @Min(1000)
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /** A connection on which nothing moves for this long is closed (this bounds a handler's time too). */
  @Type(() => Number) @IsInt() @Min(1000)
  HTTP_IDLE_TIMEOUT_MS = 30_000;

  /** An idle keep-alive connection is closed after this; keep it above the proxy's idle timeout. */
  @Type(() => Number) @IsInt() @Min(1000)
  HTTP_KEEP_ALIVE_TIMEOUT_MS = 72_000;

  /** Prometheus metrics (GET /metrics) on this internal port; never route it publicly. Unset: no metrics server. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  METRICS_PORT?: number;

  @IsString()
  METRICS_HOST = '0.0.0.0';

  /** How long SIGTERM waits for in-flight requests before giving up. */
  @Type(() => Number) @IsInt() @Min(0)
  SHUTDOWN_TIMEOUT_MS = 25_000;
}

export interface ServiceConfig {
  readonly production: boolean;
  readonly development: boolean;
  readonly port: number;
  readonly host: string;
  readonly logLevel: LogLevel;
  readonly corsOrigins: readonly string[];
  readonly bodyLimitBytes: number;
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
  /** Whose X-Forwarded-For is believed: the client address of every rate limit and audit record. */
  readonly trustedProxies: TrustedProxies;
  readonly shutdownTimeoutMs: number;
  /** GET /metrics on its own port; port undefined: off. */
  readonly metrics: { readonly port?: number; readonly host: string };
  readonly httpTimeouts: { readonly headersMs: number; readonly requestMs: number; readonly idleMs: number; readonly keepAliveMs: number };
}

export const serviceConfigSchema: ConfigSchema<ServiceEnv, ServiceConfig> = {
  namespace: 'service',
  env: ServiceEnv,
  map: (env, context) => {
    if (context.production && env.CAMELEER_DEV) {
      throw new ConfigValidationError(['CAMELEER_DEV: development mode cannot be enabled when NODE_ENV=production']);
    }
    const corsOrigins = (env.CORS_ORIGINS ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter((origin) => origin.length > 0);
    const badOrigins = corsOrigins.filter((origin) => !/^https?:\/\/[^/\s]+$/.test(origin));
    if (badOrigins.length > 0) {
      throw new ConfigValidationError([`CORS_ORIGINS: not an origin (scheme://host[:port]): ${badOrigins.join(', ')}`]);
    }
    const trusted = parseTrustedProxies(env.TRUSTED_PROXIES ?? '');
    if (trusted.invalid.length > 0) {
      throw new ConfigValidationError([`TRUSTED_PROXIES: not an IP address or CIDR: ${trusted.invalid.join(', ')}`]);
    }
    if (env.HTTP_HEADERS_TIMEOUT_MS > env.HTTP_REQUEST_TIMEOUT_MS) {
      throw new ConfigValidationError(['HTTP_HEADERS_TIMEOUT_MS: must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)']);
    }
    if (env.METRICS_PORT !== undefined && env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
      throw new ConfigValidationError(['METRICS_PORT: must not be PORT (metrics are served on an internal port of their own)']);
    }
    return {
      production: context.production,
      development: context.development,
      port: env.PORT,
      host: env.HOST,
      logLevel: env.LOG_LEVEL ?? (context.development ? 'debug' : 'info'),
      corsOrigins,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      rateLimit: { max: env.RATE_LIMIT_MAX, windowMs: env.RATE_LIMIT_WINDOW_MS },
      trustedProxies: trusted.proxies,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
      metrics: { port: env.METRICS_PORT, host: env.METRICS_HOST },
      httpTimeouts: {
        headersMs: env.HTTP_HEADERS_TIMEOUT_MS,
        requestMs: env.HTTP_REQUEST_TIMEOUT_MS,
        idleMs: env.HTTP_IDLE_TIMEOUT_MS,
        keepAliveMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
      },
    };
  },
};

export const serviceConfig = registerConfig(serviceConfigSchema);
