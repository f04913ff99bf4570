import { NestFastifyApplication, FastifyAdapter } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { ServerOptions, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBodyParser, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem';
import { sendProblem } from './problem.filter';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id';
import { computeSecurityHeaders } from './security-headers';
import { canonicalizeUuidParams } from './uuid';
import { resolveClientAddress } from './client-address';
import { wantsRawJsonBody } from './raw-json-body';
import { assertJsonDepth, assertJsonText, assertUrlText, assertUtf8ContentType, decodeUtf8Body, invalidTextProblem } from './validation';
import { ServiceConfig } from '../config/service.config';

/**
 * The Fastify adapter with this service's HTTP limits: request ids, a body limit, timeouts, and no
 * framework logger (pino through Nest logs instead). An app that never listens (OpenAPI generation)
 * may leave the timeouts out.
 */
export function createHttpAdapter(config: Pick<ServiceConfig, 'bodyLimitBytes'> & Partial<Pick<ServiceConfig, 'httpTimeouts'>>): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    ...(config.httpTimeouts !== undefined ? timeoutOptions(config.httpTimeouts) : {}),
    genReqId: requestIdFor,
    requestIdHeader: false,
    logger: false,
    // Behind Traefik the real client is in X-Forwarded-For; TRUSTED_PROXIES decides whose header is
    // believed (resolveClientAddress, for rate limits and audit source IPs), not Fastify's request.ip.
    trustProxy: false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: sendFrameworkError,
    clientErrorHandler: answerClientError,
  });
}

// The API serves JSON; the only HTML is the OpenAPI UI, which needs its own scripts and styles.
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  frameAncestors: ["'none'"],
};
// Both variants are computed once at boot; a request only picks one.
const SECURITY_HEADERS = computeSecurityHeaders({ contentSecurityPolicy: { directives: CSP_DIRECTIVES }, crossOriginResourcePolicy: { policy: 'same-site' } });
/**
 * Without helmet's `upgrade-insecure-requests`: a browser on plain HTTP would otherwise fetch the API docs' scripts
 * and styles over HTTPS from a development host that serves none, and render a blank page.
 */
const PLAIN_HTTP_SECURITY_HEADERS = computeSecurityHeaders({
  contentSecurityPolicy: { directives: { ...CSP_DIRECTIVES, upgradeInsecureRequests: null } },
  crossOriginResourcePolicy: { policy: 'same-site' },
});

/**
 * Whether the client reached this service over HTTPS: a TLS socket, or a proxy in front that says so. Only read
 * outside production (production always upgrades), so a forged X-Forwarded-Proto can at most drop the directive
 * from a development answer.
 */
function reachedOverHttps(request: FastifyRequest): boolean {
  if ((request.raw.socket as { encrypted?: boolean }).encrypted === true) {
    return true;
  }
  const proto = request.headers['x-forwarded-proto'];
  return typeof proto === 'string' && proto.split(',')[0]?.trim().toLowerCase() === 'https';
}

/**
 * Errors Fastify raises while routing, before any hook runs (a path that is not valid percent-encoded
 * UTF-8, an overlong parameter): answered in the problem shape like everything else.
 */
function sendFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void reply.headers(SECURITY_HEADERS).header(REQUEST_ID_HEADER, request.id);
  sendProblem(error.code === 'FST_ERR_BAD_URL' ? invalidTextProblem('request URL') : error, request, reply);
}

// What Node's HTTP parser refuses before any request exists, by Node's error code.
const CLIENT_ERRORS: Readonly<Record<string, { status: number; code: string; detail: string }>> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'REQUEST_TIMEOUT', detail: 'The request did not arrive in time.' },
  HPE_HEADER_OVERFLOW: { status: 431, code: 'REQUEST_HEADERS_TOO_LARGE', detail: 'The request line and headers are larger than this API accepts.' },
};
const MALFORMED_REQUEST = { status: 400, code: 'BAD_REQUEST', detail: 'The request is not valid HTTP.' };

/**
 * A request Node's parser refuses (a request line or headers over the size limit, bytes that are not HTTP, a request
 * that stalled): Fastify's default answers in its own JSON shape. This answers in the problem shape on the raw
 * socket (there is no request yet, so the id is a new one) and closes the connection, as Node does.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  if (socket.writable) {
    const { status, code, detail } = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED_REQUEST;
    const requestId = randomUUID();
    const body = JSON.stringify(problemBody(status, code, detail, requestId));
    const headers = { ...SECURITY_HEADERS, 'content-type': PROBLEM_CONTENT_TYPE, 'content-length': String(Buffer.byteLength(body)), connection: 'close', [REQUEST_ID_HEADER]: requestId };
    const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n${body}`);
  }
  socket.destroy(error);
}

/**
 * A client that stalls (or drips) its headers or body must not hold a connection: the whole request
 * must arrive within requestMs, the headers within headersMs, and a silent socket is closed after idleMs.
 */
function timeoutOptions(timeouts: ServiceConfig['httpTimeouts']) {
  return {
    http: nodeServerTimeouts(timeouts),
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
  };
}

/**
 * The same timeouts as node:http server options, for a bare node:http server (forward-auth's port); it must also
 * call `server.setTimeout(timeouts.idleMs)` (with no 'timeout' listener, Node then destroys a silent socket).
 */
export function nodeServerTimeouts(timeouts: ServiceConfig['httpTimeouts']): Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval' | 'keepAliveTimeout'> {
  return {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    // Node checks those two deadlines on this interval (30 s by default, which would nearly double them).
    connectionsCheckingInterval: Math.min(1000, Math.floor(timeouts.headersMs / 2)),
    keepAliveTimeout: timeouts.keepAliveMs,
  };
}

/**
 * HTTP behaviour every endpoint inherits (Nest routes Fastify's own errors through the global
 * ProblemFilter): JSON-only bodies (anything else is 415), request id echo, security headers and CORS.
 */
export function applyHttpDefaults(app: NestFastifyApplication, config: Pick<ServiceConfig, 'corsOrigins' | 'trustedProxies' | 'production'>): void {
  const fastify = app.getHttpAdapter().getInstance();

  // Only JSON is parsed. Fastify's default text/plain parser would hand a string to a JSON route.
  fastify.removeContentTypeParser('text/plain');
  installStrictJsonParser(fastify);

  // Production always asks browsers to upgrade; elsewhere only a client that came over HTTPS is asked to.
  const securityHeadersFor = config.production
    ? () => SECURITY_HEADERS
    : (request: FastifyRequest) => (reachedOverHttps(request) ? SECURITY_HEADERS : PLAIN_HTTP_SECURITY_HEADERS);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(securityHeadersFor(request)).header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // After the headers above (a refusal ends the hook chain). Path params and query values reach
  // validation and SQL percent-decoded: refuse what is not text before any route runs. Ids in the
  // path are then given their one spelling, and the client address is resolved (TRUSTED_PROXIES),
  // before any guard (the rate limits first) or interceptor reads them.
  fastify.addHook('onRequest', (request, _reply, done) => {
    try {
      assertUrlText(request.raw.url ?? '/');
      canonicalizeUuidParams(request.params);
      resolveClientAddress(request, config.trustedProxies);
      done();
    } catch (error) {
      done(error as Error);
    }
  });

  app.enableCors({
    origin: config.corsOrigins.length > 0 ? [...config.corsOrigins] : false,
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'X-Request-Id', 'Retry-After', 'Location'],
    maxAge: 600,
  });
}

/**
 * Fastify's JSON parser (prototype poisoning refused), behind three checks it does not make: the body is
 * strict UTF-8, nested at most MAX_JSON_DEPTH levels (scanned before parsing), and its strings hold no
 * NUL or unpaired surrogate.
 */
function installStrictJsonParser(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // A RawJsonBody route authenticates the bytes first and parses them itself (parseStrictJson).
    if (wantsRawJsonBody(request)) {
      done(null, body);
      return;
    }
    let parsed: unknown;
    try {
      parsed = parseStrictJson(request, body as Buffer);
    } catch (error) {
      done(error as Error, undefined);
      return;
    }
    done(null, parsed);
  });
}

/**
 * A JSON body parsed by Fastify's own parser (prototype poisoning refused) behind the checks it does not make:
 * every JSON body goes through this, a RawJsonBody route's once its bytes are authenticated. Throws the 4xx problems.
 */
export function parseStrictJson(request: FastifyRequest, body: Buffer): unknown {
  assertUtf8ContentType(request.headers['content-type']);
  const text = decodeUtf8Body(body);
  assertJsonDepth(text);
  const parsed = parseSynchronously(request.server.getDefaultJsonParser('error', 'error'), request, text);
  assertJsonText(parsed);
  return parsed;
}

/** Fastify's default JSON parser reports through a callback, synchronously; this returns or throws instead. */
function parseSynchronously(parse: FastifyBodyParser<string>, request: FastifyRequest, text: string): unknown {
  let outcome: { error: Error | null; value?: unknown } | undefined;
  void parse(request, text, (error, value) => {
    outcome = { error, value };
  });
  if (outcome === undefined) {
    throw new Error('the default JSON parser did not answer synchronously');
  }
  if (outcome.error !== null) {
    throw outcome.error;
  }
  return outcome.value;
}
