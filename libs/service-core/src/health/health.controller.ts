import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { SkipThrottle, Throttle } from '@nestjs/throttler';
import { Public } from '../http/public.decorator';
import { READINESS_CHECKS, READINESS_INTERVAL_MS, READINESS_RATE_LIMIT_PER_SECOND, ReadinessCheck } from './readiness';
import { Sample } from './sample';

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  // The probe is public: a flood of calls must not become a flood of pings to the database and Logto.
  private readonly readiness: Sample<HealthCheckResult>;
  private readonly critical: { check: ReadinessCheck; sample: Sample<HealthIndicatorResult> }[];
  private readonly optional: { check: ReadinessCheck; sample: Sample<HealthIndicatorResult> }[];

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    @Inject(READINESS_CHECKS) checks: readonly ReadinessCheck[],
  ) {
    const sampled = (check: ReadinessCheck) => ({ check, sample: new Sample(() => check.check(), check.minIntervalMs) });
    this.critical = checks.filter((check) => check.critical).map(sampled);
    this.optional = checks.filter((check) => !check.critical).map(sampled);
    this.readiness = new Sample(() => this.computeReadiness(), READINESS_INTERVAL_MS);
  }

  /** Liveness: the process is up and its event loop answers. */
  @Get()
  @SkipThrottle()
  @ApiOperation({ summary: 'Liveness probe' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: the database (and any critical check) must answer, else 503. Non-critical
   * dependencies (Logto) are reported under `details` without making the service unready.
   * Computed at most once per second per replica and rate-limited per client.
   */
  @Get('ready')
  @Throttle({ default: { limit: READINESS_RATE_LIMIT_PER_SECOND, ttl: 1000 } })
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness probe' })
  @ApiServiceUnavailableResponse({ description: 'A critical dependency is not reachable' })
  ready(): Promise<HealthCheckResult> {
    return this.readiness.get();
  }

  private async computeReadiness(): Promise<HealthCheckResult> {
    const [result, details] = await Promise.all([
      this.health.check([() => this.database.pingCheck('database', { timeout: 2000 }), ...this.critical.map(({ sample }) => () => sample.get())]),
      Promise.all(this.optional.map(describeOptional)),
    ]);
    return { ...result, details: Object.assign({}, result.details, ...details) as HealthCheckResult['details'] };
  }
}

async function describeOptional({ check, sample }: { check: ReadinessCheck; sample: Sample<HealthIndicatorResult> }): Promise<HealthIndicatorResult> {
  try {
    return await sample.get();
  } catch (error) {
    const causes = (error as { causes?: HealthIndicatorResult }).causes;
    return causes ?? { [check.name]: { status: 'down' } };
  }
}
