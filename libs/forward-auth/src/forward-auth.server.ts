import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { PROBLEM_CONTENT_TYPE, problemBody, toProblem } from '@app/service-core';
import { forwardAuthConfig, ForwardAuthConfig } from './forward-auth.config';
import { Decision, ForwardAuthService, ForwardedRequest } from './forward-auth.service';
import { randomUUID } from 'node:crypto';

export const FORWARD_AUTH_PATH = '/api/auth/verify';
const FORWARD_AUTH_PATH_WITH_QUERY = `${FORWARD_AUTH_PATH}?`;
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The same decision as GET /api/auth/verify on the main port, served on a dedicated internal port
 * (FORWARD_AUTH_PORT) by a bare node:http server: no framework hooks, middleware or pipeline, since
 * Traefik calls it for every request entering the platform. Only that one path answers there.
 */
@Injectable()
export class ForwardAuthServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ForwardAuthServer.name);
  private server?: Server;
  // Decisions are memoized upstream; so are their wire headers (with an explicit empty body), as the
  // flat [name, value, ...] array writeHead takes without enumerating an object.
  private readonly allowHeaders = new WeakMap<Readonly<Record<string, string>>, string[]>();

  constructor(
    @Inject(forwardAuthConfig.KEY) private readonly config: ForwardAuthConfig,
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
    const server = createServer({ keepAliveTimeout: 75_000 }, (request, response) => this.handle(request, response));
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

  private handle(request: IncomingMessage, response: ServerResponse): void {
    if (request.method === 'GET' && isForwardAuthPath(request.url)) {
      // Warm path: decided from memory, answered without a promise in sight.
      const decision = this.forwardAuth.decideFromCache(forwardedRequest(request));
      if (decision !== undefined) {
        this.respond(response, request, decision);
        return;
      }
    }
    void this.handleAsync(request, response);
  }

  private async handleAsync(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = requestIdOf(request);
    try {
      if (!isForwardAuthPath(request.url) || (request.method !== 'GET' && request.method !== 'HEAD')) {
        this.sendProblem(response, requestId, 404, 'NOT_FOUND', `Only GET ${FORWARD_AUTH_PATH} is served on this port.`, {});
        return;
      }
      this.respond(response, request, await this.forwardAuth.decide(forwardedRequest(request)));
    } catch (error) {
      const problem = toProblem(error);
      if (problem.internal) {
        this.logger.error({ err: error, requestId }, 'forward-auth failed');
      }
      this.sendProblem(response, requestId, problem.status, problem.code, problem.detail, problem.headers);
    }
  }

  private respond(response: ServerResponse, request: IncomingMessage, decision: Decision): void {
    if (decision.allow) {
      // Traefik copies only the X-Cameleer-* headers of a 2xx: nothing else is worth writing.
      let headers = this.allowHeaders.get(decision.headers);
      if (headers === undefined) {
        headers = [...Object.entries(decision.headers).flat(), 'content-length', '0'];
        this.allowHeaders.set(decision.headers, headers);
      }
      response.writeHead(200, headers);
      response.end();
      return;
    }
    const problem = toProblem(decision.problem);
    this.sendProblem(response, requestIdOf(request), problem.status, problem.code, problem.detail, problem.headers);
  }

  private sendProblem(response: ServerResponse, requestId: string, status: number, code: string, detail: string, headers: Readonly<Record<string, string>>): void {
    const body = JSON.stringify(problemBody(status, code, detail, requestId));
    response.writeHead(status, {
      ...headers,
      'content-type': PROBLEM_CONTENT_TYPE,
      'cache-control': 'no-store',
      'x-request-id': requestId,
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  }
}

/** The path of `url` (before any query) is FORWARD_AUTH_PATH, without splitting the string. */
function isForwardAuthPath(url: string | undefined): boolean {
  return url === FORWARD_AUTH_PATH || (url !== undefined && url.startsWith(FORWARD_AUTH_PATH_WITH_QUERY));
}

function requestIdOf(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

function forwardedRequest(request: IncomingMessage): ForwardedRequest {
  const headers = request.headers;
  return {
    authorization: headers.authorization,
    forwardedHost: headers['x-forwarded-host'],
    forwardedMethod: headers['x-forwarded-method'],
    origin: headers.origin,
    accessControlRequestMethod: headers['access-control-request-method'],
  };
}
