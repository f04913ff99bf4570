import { Type } from 'class-transformer';
import { IsBoolean, IsInt, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig, ToBoolean } from '@app/service-core';

class EventsEnv {
  /** Development and tests only: allows http:// targets and loopback, private and link-local addresses. */
  @ToBoolean() @IsBoolean()
  EVENTS_ALLOW_INSECURE_TARGETS = false;

  /** How long one delivery may take (connect, send, response headers) before it counts as failed. */
  @Type(() => Number) @IsInt() @Min(100) @Max(60_000)
  EVENTS_DELIVERY_TIMEOUT_MS = 10_000;

  /** Deliveries in flight per replica: a slow subscriber holds at most this many slots, never a request. */
  @Type(() => Number) @IsInt() @Min(1) @Max(64)
  EVENTS_DELIVERY_CONCURRENCY = 4;

  /** Attempts before a delivery is a dead letter. With backoff capped at 60 s, 200 attempts span over 3 hours. */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000)
  EVENTS_MAX_ATTEMPTS = 200;

  /** The first retry's delay; each further one doubles, up to 60 s. */
  @Type(() => Number) @IsInt() @Min(10) @Max(60_000)
  EVENTS_RETRY_BASE_MS = 1000;

  /** How often each replica looks for due deliveries. */
  @Type(() => Number) @IsInt() @Min(10) @Max(60_000)
  EVENTS_POLL_MS = 500;

  /** Events stay readable in the pull feed this long (and longer while a delivery is still owed). */
  @Type(() => Number) @IsInt() @Min(1) @Max(3650)
  EVENTS_RETENTION_DAYS = 7;
}

/** The `events` namespace: the event feed's delivery worker and retention. */
export interface EventsConfig {
  readonly allowInsecureTargets: boolean;
  readonly deliveryTimeoutMs: number;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly pollMs: number;
  readonly retentionDays: number;
}

export const eventsConfigSchema: ConfigSchema<EventsEnv, EventsConfig> = {
  namespace: 'events',
  env: EventsEnv,
  map: (env, context) => {
    if (env.EVENTS_ALLOW_INSECURE_TARGETS && context.production) {
      throw new ConfigValidationError([
        'EVENTS_ALLOW_INSECURE_TARGETS: never in production (NODE_ENV=production): webhook targets there are https and public',
      ]);
    }
    return {
      allowInsecureTargets: env.EVENTS_ALLOW_INSECURE_TARGETS,
      deliveryTimeoutMs: env.EVENTS_DELIVERY_TIMEOUT_MS,
      concurrency: env.EVENTS_DELIVERY_CONCURRENCY,
      maxAttempts: env.EVENTS_MAX_ATTEMPTS,
      retryBaseMs: env.EVENTS_RETRY_BASE_MS,
      pollMs: env.EVENTS_POLL_MS,
      retentionDays: env.EVENTS_RETENTION_DAYS,
    };
  },
};

export const eventsConfig = registerConfig(eventsConfigSchema);
