import { HealthIndicatorResult } from '@nestjs/terminus';

/**
 * A dependency readiness reports on. `critical` checks make the service unready when they fail;
 * the others are reported as details only (an unconfigured or unreachable Logto does not stop
 * the API from answering). A check runs at most once per `minIntervalMs` (readiness as a whole at
 * most once per READINESS_INTERVAL_MS), however often the probe is called.
 */
export interface ReadinessCheck {
  readonly name: string;
  readonly critical: boolean;
  readonly minIntervalMs: number;
  check(): Promise<HealthIndicatorResult>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** The public readiness probe pings the database at most this often per replica. */
export const READINESS_INTERVAL_MS = 1000;

/** Requests per second one client may make to the readiness probe (orchestrators probe every few seconds). */
export const READINESS_RATE_LIMIT_PER_SECOND = 20;
