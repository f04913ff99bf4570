import { Injectable } from '@nestjs/common';
import type { HealthIndicatorResult } from '@nestjs/terminus';
import type { ReadinessCheck } from '@app/service-core';
import { LogtoManagementClient } from './logto-management.client';

export type LogtoDownReason = 'unconfigured' | 'unreachable';

/**
 * Thrown by LogtoReadinessCheck when Logto is not usable; Terminus recognises it by `isHealthCheckError`
 * and reports `causes` as the check's details.
 */
export class LogtoReadinessError extends Error {
  readonly isHealthCheckError = true;
  constructor(readonly causes: HealthIndicatorResult<'logto'>) {
    super(`Logto is down: ${String(causes.logto.reason)}`);
    this.name = 'LogtoReadinessError';
  }
}

const PROBE_TIMEOUT_MS = 2000;
// Logto is a shared dependency of every replica: probing it more often tells nothing new.
const PROBE_INTERVAL_MS = 5000;

/**
 * Non-critical readiness: `{ logto: { status: 'up' } }`, or a LogtoReadinessError whose causes are
 * `{ logto: { status: 'down', reason: 'unconfigured' | 'unreachable' } }`. One short probe of GET /api/status,
 * no retries, no token, at most once per PROBE_INTERVAL_MS.
 */
@Injectable()
export class LogtoReadinessCheck implements ReadinessCheck {
  readonly name = 'logto';
  readonly critical = false;
  readonly minIntervalMs = PROBE_INTERVAL_MS;

  constructor(private readonly client: LogtoManagementClient) {}

  async check(): Promise<HealthIndicatorResult<'logto'>> {
    if (!this.client.configured) {
      throw new LogtoReadinessError({ logto: { status: 'down', reason: 'unconfigured' satisfies LogtoDownReason } });
    }
    try {
      await this.client.status({ retries: 0, timeoutMs: PROBE_TIMEOUT_MS });
    } catch {
      throw new LogtoReadinessError({ logto: { status: 'down', reason: 'unreachable' satisfies LogtoDownReason } });
    }
    return { logto: { status: 'up' } };
  }
}
