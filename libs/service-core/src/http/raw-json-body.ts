import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

/** The Fastify route-config key of a route that receives its JSON body unparsed (see RawJsonBody). */
export const RAW_JSON_BODY = 'cameleer:rawJsonBody';

/**
 * The route receives its JSON body as the raw bytes (a Buffer; the strict JSON parser skips parsing it), for a
 * route that must authenticate the exact bytes before trusting them (an HMAC over the body): it parses them
 * itself with parseStrictJson once the bytes are authenticated. Every other route is unaffected.
 */
export const RawJsonBody = (): MethodDecorator => RouteConfig({ [RAW_JSON_BODY]: true });

/** Whether the request's route asked for its body raw (RawJsonBody). */
export function wantsRawJsonBody(request: FastifyRequest): boolean {
  const config = request.routeOptions?.config as unknown as Record<string, unknown> | undefined;
  return config?.[RAW_JSON_BODY] === true;
}
