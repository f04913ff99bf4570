import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { PROBLEM_CONTENT_TYPE, problemBody, REQUEST_ID_HEADER, ResolvedProblem, toProblem } from '@app/service-core';
import { PAGE_SECURITY_POLICY, pageContent, pageHtml } from './browser-pages';
import type { IdentityHeaders } from './decision';
import type { ForwardAuthVerdict, ForwardedRequest } from './forward-auth.service';

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
    cookie: headers.cookie,
    accept: headers.accept,
    secFetchMode: headers['sec-fetch-mode'],
    forwardedProto: headers['x-forwarded-proto'],
    forwardedUri: headers['x-forwarded-uri'],
  };
}

/** What goes on the wire for a verdict (a thrown refusal is a problemAnswer). */
export function verdictAnswer(verdict: ForwardAuthVerdict, requestId: string): WireAnswer {
  switch (verdict.kind) {
    case 'allow':
      return allowedAnswer(verdict.identity, verdict.cookie);
    case 'sign-in':
      return signInAnswer(verdict.location, verdict.clearCookie);
    case 'page':
      return pageAnswer(verdict.error, requestId, verdict.host, verdict.signOutAction);
  }
}

/**
 * 200 with an empty body: Traefik copies only the X-Cameleer-* headers of a 2xx and the Cookie header (it deletes
 * the request's and copies this one: the request's cookies minus the session cookie; absent when none remain).
 */
function allowedAnswer(identity: IdentityHeaders, cookie: string | undefined): WireAnswer {
  // Object.assign, not a spread: spreading the identity headers measured 5 µs a request on the warm path, this 0.3 µs.
  const headers: Record<string, string> = Object.assign({ 'cache-control': 'no-store', 'content-length': '0' }, identity);
  if (cookie !== undefined) {
    headers.cookie = cookie;
  }
  return { status: 200, headers, body: '' };
}

/** 302 to sign in; Traefik returns it to the browser as it is (preserveLocationHeader keeps the absolute URL). */
function signInAnswer(location: string, clearCookie: string | undefined): WireAnswer {
  const headers: Record<string, string> = { location, 'cache-control': 'no-store', 'content-length': '0' };
  if (clearCookie !== undefined) {
    headers['set-cookie'] = clearCookie;
  }
  return { status: 302, headers, body: '' };
}

/** A browser's refused page load: a small HTML page with the refusal's status (and Retry-After, if any). */
function pageAnswer(error: unknown, requestId: string, host: string | undefined, signOutAction: string | undefined): WireAnswer {
  const { problem, errorId } = resolved(error, requestId);
  const retryAfter = problem.headers['retry-after'];
  const body = pageHtml(pageContent(problem.status, problem.code, host), signOutAction, errorId);
  return {
    status: problem.status,
    headers: {
      ...(retryAfter === undefined ? {} : { 'retry-after': retryAfter }),
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      // Not no-referrer: the sign-out form's POST must carry its Origin (the sign-out route checks it; `null` is refused).
      'referrer-policy': 'strict-origin',
      'cache-control': 'no-store',
      [REQUEST_ID_HEADER]: requestId,
      'content-length': String(Buffer.byteLength(body)),
    },
    body,
  };
}

/** The problem an error answers with; an internal one is logged under an error id the client can quote. */
function resolved(error: unknown, requestId: string): { problem: ResolvedProblem; errorId: string | undefined } {
  const problem = toProblem(error);
  let errorId: string | undefined;
  if (problem.internal) {
    errorId = randomUUID();
    logger.error({ err: error, errorId, requestId }, `forward-auth failed ${errorId}`);
  } else if (problem.status === 503) {
    logger.warn({ requestId, code: problem.code }, problem.detail);
  }
  return { problem, errorId };
}

/** Any error as a problem document; an internal one is logged under an error id the client can quote. */
export function problemAnswer(error: unknown, requestId: string): WireAnswer {
  const { problem, errorId } = resolved(error, requestId);
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
