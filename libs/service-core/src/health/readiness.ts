import { HealthIndicatorResult } from '@nestjs/terminus';

/**
 * A dependency readiness reports on. `critical` checks make the service unready when they fail;
 * the others are reported as details only (an unconfigured or unreachable Logto does not stop
 * the API from answering).
 */
export interface ReadinessCheck {
  readonly name: string;
  readonly critical: boolean;
  check(): Promise<HealthIndicatorResult>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
