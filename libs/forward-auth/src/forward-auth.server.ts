import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { nodeServerTimeouts, requestIdFor, serviceConfig, ServiceConfig } from '@app/service-core';
import { forwardAuthConfig, ForwardAuthConfig } from './forward-auth.config';
import { ForwardAuthError } from './forward-auth.errors';
import { allowedAnswer, FORWARD_AUTH_PATH, forwardedRequestOf, isForwardAuthPath, problemAnswer, WireAnswer } from './forward-auth.http';
import { ForwardAuthService } from './forward-auth.service';

/**
 * The same answer as GET /api/auth/verify on the main port, served on a dedicated internal port
 * (FORWARD_AUTH_PORT) by a bare node:http server: no framework hooks, middleware or pipeline, since
 * Traefik calls it for every request entering the platform. Only that one path answers there. It has
 * the main port's header, request, idle and keep-alive timeouts.
 */
@Injectable()
export class ForwardAuthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ForwardAuthServer.name);
  private server?: Server;

  constructor(
    @Inject(forwardAuthConfig.KEY) private readonly config: ForwardAuthConfig,
    @Inject(serviceConfig.KEY) private readonly service: ServiceConfig,
    private readonly forwardAuth: ForwardAuthService,
  ) {}

  /** The bound port (useful when FORWARD_AUTH_PORT=0), or undefined when the dedicated port is off. */
  get port(): number | undefined {
    const address = this.server?.address();
    return address !== null && typeof address === 'object' ? address.port : undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.port === undefined) {
      return;
    }
    // The main port's timeouts (HTTP_*_TIMEOUT_MS): a stalled or silent client must not hold a connection here either.
    const timeouts = this.service.httpTimeouts;
    const server = createServer(nodeServerTimeouts(timeouts), (request, response) => void this.handle(request, response));
    server.setTimeout(timeouts.idleMs);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, this.config.host, () => resolve());
    });
    this.server = server;
    this.logger.log(`forward-auth listening on ${this.config.host}:${this.port ?? this.config.port}${FORWARD_AUTH_PATH}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (server !== undefined) {
      server.closeIdleConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let answer: WireAnswer;
    try {
      if ((request.method !== 'GET' && request.method !== 'HEAD') || !isForwardAuthPath(request.url)) {
        throw new ForwardAuthError('NOT_FOUND', `Only GET ${FORWARD_AUTH_PATH} is served on this port.`);
      }
      answer = allowedAnswer(await this.forwardAuth.answer(forwardedRequestOf(request.headers)));
    } catch (error) {
      answer = problemAnswer(error, requestIdFor(request));
    }
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  }
}
