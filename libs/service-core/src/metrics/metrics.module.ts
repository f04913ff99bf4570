import { Global, Injectable, Module, OnModuleInit } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { DataSource } from 'typeorm';
import { Metrics } from './metrics';
import { MetricsServer } from './metrics.server';

/** The pg pool's counters, where the driver has one (not on embedded PostgreSQL). */
interface PoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

function poolOf(dataSource: DataSource): PoolCounts | undefined {
  const pool = (dataSource.driver as { master?: Partial<PoolCounts> }).master;
  return typeof pool?.totalCount === 'number' && typeof pool.idleCount === 'number' && typeof pool.waitingCount === 'number' ? (pool as PoolCounts) : undefined;
}

/** The database pool's use, read at scrape time. */
@Injectable()
class DatabasePoolMetrics implements OnModuleInit {
  constructor(
    private readonly metrics: Metrics,
    private readonly dataSource: DataSource,
  ) {}

  onModuleInit(): void {
    this.metrics.gauge('cameleer_db_pool_connections', 'Database pool connections by state (in use, idle) and requests waiting for one.', ['state'], () => {
      const pool = poolOf(this.dataSource);
      return pool === undefined
        ? []
        : [
            [{ state: 'in_use' }, pool.totalCount - pool.idleCount],
            [{ state: 'idle' }, pool.idleCount],
            [{ state: 'waiting' }, pool.waitingCount],
          ];
    });
  }
}

/**
 * Requests and latency on the main port by method, route template and status (`unmatched` for no route: the raw URL
 * is never a label). Called once by createApp, after applyHttpDefaults.
 */
export function observeHttpRequests(fastify: FastifyInstance, metrics: Metrics): void {
  const requests = metrics.histogram('cameleer_http_request_duration_seconds', 'HTTP requests on the main port and their latency.', ['method', 'route', 'status']);
  fastify.addHook('onResponse', (request, reply, done) => {
    requests.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });
}

/** Metrics (every lib declares its series on Metrics) and their internal port. Imported once by the app. */
@Global()
@Module({
  providers: [Metrics, MetricsServer, DatabasePoolMetrics],
  exports: [Metrics, MetricsServer],
})
export class MetricsModule {}
