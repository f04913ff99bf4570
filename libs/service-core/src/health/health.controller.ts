import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '../http/public.decorator';
import { READINESS_CHECKS, ReadinessCheck } from './readiness';

@ApiTags('health')
@Public()
@SkipThrottle()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    @Optional() @Inject(READINESS_CHECKS) private readonly checks: readonly ReadinessCheck[] = [],
  ) {}

  /** Liveness: the process is up and its event loop answers. */
  @Get()
  @ApiOperation({ summary: 'Liveness probe' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /**
   * Readiness: the database (and any critical check) must answer, else 503. Non-critical
   * dependencies (Logto) are reported under `details` without making the service unready.
   */
  @Get('ready')
  @HealthCheck()
  @ApiOperation({ summary: 'Readiness probe' })
  @ApiServiceUnavailableResponse({ description: 'A critical dependency is not reachable' })
  async ready(): Promise<HealthCheckResult> {
    const critical = this.checks.filter((check) => check.critical);
    const optional = this.checks.filter((check) => !check.critical);
    const [result, details] = await Promise.all([
      this.health.check([() => this.database.pingCheck('database', { timeout: 2000 }), ...critical.map((check) => () => check.check())]),
      Promise.all(optional.map(describeOptional)),
    ]);
    return { ...result, details: Object.assign({}, result.details, ...details) as HealthCheckResult['details'] };
  }
}

async function describeOptional(check: ReadinessCheck): Promise<HealthIndicatorResult> {
  try {
    return await check.check();
  } catch (error) {
    const causes = (error as { causes?: HealthIndicatorResult }).causes;
    return causes ?? { [check.name]: { status: 'down' } };
  }
}
