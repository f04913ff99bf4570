import { NestFastifyApplication, FastifyAdapter } from '@nestjs/platform-fastify';
import { REQUEST_ID_HEADER, requestIdFor } from './request-id';
import { computeSecurityHeaders } from './security-headers';
import { ServiceConfig } from '../config/service.config';

/**
 * The Fastify adapter with this service's HTTP limits: request ids, a body limit, and no
 * framework logger (pino through Nest logs instead).
 */
export function createHttpAdapter(config: Pick<ServiceConfig, 'bodyLimitBytes'>): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: config.bodyLimitBytes,
    genReqId: requestIdFor,
    requestIdHeader: false,
    logger: false,
    // Behind Traefik the real client is in X-Forwarded-For; which proxies to trust is configured
    // where it matters (rate limits and audit source IPs), not globally here.
    trustProxy: false,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
  });
}

/**
 * HTTP behaviour every endpoint inherits (Nest routes Fastify's own errors through the global
 * ProblemFilter): JSON-only bodies (anything else is 415), request id echo, security headers and CORS.
 */
export function applyHttpDefaults(app: NestFastifyApplication, config: Pick<ServiceConfig, 'corsOrigins'>): void {
  const fastify = app.getHttpAdapter().getInstance();

  // Only JSON is parsed. Fastify's default text/plain parser would hand a string to a JSON route.
  fastify.removeContentTypeParser('text/plain');

  // The API serves JSON; the only HTML is the OpenAPI UI, which needs its own scripts and styles.
  const securityHeaders = computeSecurityHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginResourcePolicy: { policy: 'same-site' },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(securityHeaders).header(REQUEST_ID_HEADER, request.id);
    done();
  });

  app.enableCors({
    origin: config.corsOrigins.length > 0 ? [...config.corsOrigins] : false,
    methods: ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'X-Request-Id'],
    exposedHeaders: ['ETag', 'X-Request-Id', 'Retry-After', 'Location'],
    maxAge: 600,
  });
}
