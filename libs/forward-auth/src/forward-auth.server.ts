import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { IncomingMessage, ServerResponse } from 'node:http';
import { InternalHttpServer, requestIdFor, serviceConfig, ServiceConfig } from '@app/service-core';
import { forwardAuthConfig, ForwardAuthConfig } from './forward-auth.config';
import { ForwardAuthError } from './forward-auth.errors';
import { FORWARD_AUTH_PATH, forwardedRequestOf, isForwardAuthPath, problemAnswer, verdictAnswer, WireAnswer } from './forward-auth.http';
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
  private readonly server = new InternalHttpServer();

  constructor(
    @Inject(forwardAuthConfig.KEY) private readonly config: ForwardAuthConfig,
    @Inject(serviceConfig.KEY) private readonly service: ServiceConfig,
    private readonly forwardAuth: ForwardAuthService,
  ) {}

  /** The bound port (useful when FORWARD_AUTH_PORT=0), or undefined when the dedicated port is off. */
  get port(): number | undefined {
    return this.server.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.port === undefined) {
      return;
    }
    await this.server.start(this.config.port, this.config.host, this.service.httpTimeouts, (request, response) => this.handle(request, response));
    this.logger.log(`forward-auth listening on ${this.config.host}:${this.port ?? this.config.port}${FORWARD_AUTH_PATH}`);
  }

  onApplicationShutdown(): Promise<void> {
    return this.server.stop();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let answer: WireAnswer;
    try {
      if ((request.method !== 'GET' && request.method !== 'HEAD') || !isForwardAuthPath(request.url)) {
        throw new ForwardAuthError('NOT_FOUND', `Only GET ${FORWARD_AUTH_PATH} is served on this port.`);
      }
      answer = verdictAnswer(await this.forwardAuth.answer(forwardedRequestOf(request.headers)), requestIdFor(request));
    } catch (error) {
      answer = problemAnswer(error, requestIdFor(request));
    }
    response.writeHead(answer.status, answer.headers);
    response.end(answer.body);
  }
}
