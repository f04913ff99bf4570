import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { PROBLEM_CONTENT_TYPE, problemBody, REQUEST_ID_HEADER, toProblem } from '@app/service-core';
import type { IdentityHeaders } from './decision';
import type { ForwardedRequest } from './forward-auth.service';

// What both transports (the Nest route on the main port, the bare node:http server on FORWARD_AUTH_PORT)
// share: which headers are read, and what goes on the wire for an answer or an error. Request ids come
// from service-core's requestIdFor on both (Fastify's genReqId; called directly by the bare server).

export const FORWARD_AUTH_PATH = '/api/auth/verify';
const FORWARD_AUTH_PATH_WITH_QUERY = `${FORWARD_AUTH_PATH}?`;

/**
 * The request target's path (before any query) is FORWARD_AUTH_PATH, byte for byte. Routers also map other
 * spellings to it (`/api/auth/%76erify`, dot segments), which a proxy's path rule may not recognise as the verify
 * path: the public routers exclude this one spelling, so only this one is answered, on both ports.
 */
export function isForwardAuthPath(url: string | undefined): boolean {
  return url === FORWARD_AUTH_PATH || (url !== undefined && url.startsWith(FORWARD_AUTH_PATH_WITH_QUERY));
}

export interface WireAnswer {
  readonly status: number;
  /** Complete, content-length included. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const logger = new Logger('ForwardAuth');

export function forwardedRequestOf(headers: IncomingHttpHeaders): ForwardedRequest {
  return {
    authorization: headers.authorization,
    forwardedHost: headers['x-forwarded-host'],
    forwardedMethod: headers['x-forwarded-method'],
    origin: headers.origin,
    accessControlRequestMethod: headers['access-control-request-method'],
  };
}

/** 200 with an empty body: Traefik copies only the X-Cameleer-* headers of a 2xx, nothing else is worth writing. */
export function allowedAnswer(identity: IdentityHeaders): WireAnswer {
  // Object.assign, not a spread: spreading the identity headers measured 5 µs a request on the warm path, this 0.3 µs.
  return { status: 200, headers: Object.assign({ 'cache-control': 'no-store', 'content-length': '0' }, identity), body: '' };
}

/** Any error as a problem document; an internal one is logged under an error id the client can quote. */
export function problemAnswer(error: unknown, requestId: string): WireAnswer {
  const problem = toProblem(error);
  let errorId: string | undefined;
  if (problem.internal) {
    errorId = randomUUID();
    logger.error({ err: error, errorId, requestId }, `forward-auth failed ${errorId}`);
  } else if (problem.status === 503) {
    logger.warn({ requestId, code: problem.code }, problem.detail);
  }
  const body = JSON.stringify(problemBody(problem.status, problem.code, problem.detail, requestId, { title: problem.title, errors: problem.errors, errorId }));
  return {
    status: problem.status,
    headers: {
      ...problem.headers,
      'content-type': PROBLEM_CONTENT_TYPE,
      'cache-control': 'no-store',
      [REQUEST_ID_HEADER]: requestId,
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  };
}
