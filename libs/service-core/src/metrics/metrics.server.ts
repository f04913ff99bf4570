import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { IncomingMessage, ServerResponse } from 'node:http';
import { serviceConfig, ServiceConfig } from '../config/service.config';
import { InternalHttpServer } from '../http/internal-http-server';
import { Metrics } from './metrics';

export const METRICS_PATH = '/metrics';

/**
 * GET /metrics on METRICS_PORT (off unless set): a bare node:http server on an internal port that no public
 * router reaches, so the metrics never share the API's port, its routes or its rate limits.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsServer.name);
  private readonly server = new InternalHttpServer();

  constructor(
    @Inject(serviceConfig.KEY) private readonly service: ServiceConfig,
    private readonly metrics: Metrics,
  ) {}

  /** The bound port (useful when METRICS_PORT=0), or undefined when metrics are off. */
  get port(): number | undefined {
    return this.server.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, host } = this.service.metrics;
    if (port === undefined) {
      return;
    }
    await this.server.start(port, host, this.service.httpTimeouts, (request, response) => this.handle(request, response));
    this.logger.log(`metrics on ${host}:${this.port ?? port}${METRICS_PATH}`);
  }

  onApplicationShutdown(): Promise<void> {
    return this.server.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = request.url?.split('?', 1)[0];
    if (path !== METRICS_PATH || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    try {
      const body = await this.metrics.scrape();
      response.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : body);
    } catch (error) {
      this.logger.error({ err: error }, 'metrics scrape failed');
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('scrape failed\n');
    }
  }
}
