import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ServiceConfig } from '../config/service.config';
import { nodeServerTimeouts } from './http-platform';

/**
 * A bare node:http server on an internal port (forward-auth's, the metrics'): no framework pipeline, and the main
 * port's header, request, idle and keep-alive timeouts, so a stalled or silent client holds no connection there
 * either. One place for how such a port starts, reports the port it bound and stops.
 */
export class InternalHttpServer {
  private server?: Server;

  /** The bound port (useful when the configured port is 0), or undefined when not started. */
  get port(): number | undefined {
    const address = this.server?.address();
    return address !== null && typeof address === 'object' ? address.port : undefined;
  }

  async start(
    port: number,
    host: string,
    timeouts: ServiceConfig['httpTimeouts'],
    handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  ): Promise<void> {
    const server = createServer(nodeServerTimeouts(timeouts), (request, response) => void handle(request, response));
    server.setTimeout(timeouts.idleMs);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server !== undefined) {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
