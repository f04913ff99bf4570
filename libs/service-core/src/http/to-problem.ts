import { HttpException, HttpStatus } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import { errorCodes } from 'fastify';
import { isDatabaseUnavailable } from '../database/database-errors';
import { CodedError } from '../errors/coded-error';
import { FieldError, ProblemException } from './problem';

/** What an error becomes on the wire; `internal` errors are logged with an error id and never described. */
export interface ResolvedProblem {
  readonly status: number;
  readonly code: string;
  /** The catalog's title for a coded error; otherwise the status' name. */
  readonly title?: string;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  readonly headers: Readonly<Record<string, string>>;
  readonly internal: boolean;
}

const CODE_BY_STATUS: Partial<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  412: 'PRECONDITION_FAILED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

// Fastify's own errors (raised before a route handler runs), by their FST_ code.
const FASTIFY_ERRORS: Readonly<Record<string, { status: number; code: string; detail: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', detail: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', detail: 'The request declares a JSON body but sends none.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'PAYLOAD_TOO_LARGE', detail: 'The request body is larger than this API accepts.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'This endpoint accepts application/json bodies only.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_REQUEST', detail: 'The Content-Length header does not match the body.' },
  FST_ERR_CTP_INVALID_TYPE: { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'The Content-Type header is invalid.' },
  FST_ERR_BAD_URL: { status: 400, code: 'BAD_REQUEST', detail: 'The request URL is malformed.' },
  FST_ERR_ASYNC_CONSTRAINT: { status: 400, code: 'BAD_REQUEST', detail: 'The request could not be routed.' },
};

// Nest turns Fastify's errors into HttpException(message, status) before filters see them, dropping
// the FST_ code; the message (fixed per code) is what identifies them then.
const FASTIFY_ERRORS_BY_MESSAGE: ReadonlyMap<string, { status: number; code: string; detail: string }> = new Map(
  Object.entries(FASTIFY_ERRORS).flatMap(([code, problem]) => {
    const ErrorClass = (errorCodes as unknown as Record<string, (new () => Error) | undefined>)[code];
    return ErrorClass !== undefined ? [[new ErrorClass().message, problem] as const] : [];
  }),
);

function fastifyCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' && error.code.startsWith('FST_')) {
    return error.code;
  }
  return undefined;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error && typeof error.statusCode === 'number') {
    return error.statusCode;
  }
  return undefined;
}

// A type guard, because instanceof narrows a generic class to CodedError<any>.
function isCodedError(error: unknown): error is CodedError<string> {
  return error instanceof CodedError;
}

export function toProblem(error: unknown): ResolvedProblem {
  if (isCodedError(error)) {
    const { status, title } = error.spec;
    // A 500 is a bug whatever its code: logged with an error id, never described. 502–504 are described.
    return status === 500 ? internalProblem() : { status, code: error.code, title, detail: error.detail, errors: error.errors, headers: error.headers, internal: false };
  }
  if (error instanceof ProblemException) {
    return { status: error.status, code: error.code, detail: error.detail, errors: error.errors, headers: error.headers, internal: false };
  }
  if (error instanceof ThrottlerException) {
    return { status: 429, code: 'RATE_LIMITED', detail: 'Too many requests; slow down and retry later.', headers: {}, internal: false };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const fastifyProblem = FASTIFY_ERRORS_BY_MESSAGE.get(error.message);
    if (fastifyProblem !== undefined) {
      return { ...fastifyProblem, headers: {}, internal: false };
    }
    if (status === 503) {
      return { status, code: 'SERVICE_UNAVAILABLE', detail: unavailableDetail(error), headers: { 'retry-after': '5' }, internal: false };
    }
    if (status >= 500) {
      return internalProblem();
    }
    return { status, code: CODE_BY_STATUS[status] ?? HttpStatus[status] ?? 'ERROR', detail: httpExceptionDetail(error), headers: {}, internal: false };
  }
  const fastify = fastifyCode(error);
  if (fastify !== undefined) {
    const known = FASTIFY_ERRORS[fastify];
    if (known !== undefined) {
      return { ...known, headers: {}, internal: false };
    }
    const status = statusOf(error);
    if (status !== undefined && status >= 400 && status < 500) {
      return { status, code: CODE_BY_STATUS[status] ?? 'BAD_REQUEST', detail: 'The request was rejected.', headers: {}, internal: false };
    }
  }
  if (isDatabaseUnavailable(error)) {
    return {
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      detail: 'The database is temporarily unavailable; retry shortly.',
      headers: { 'retry-after': '5' },
      internal: false,
    };
  }
  return internalProblem();
}

function internalProblem(): ResolvedProblem {
  return { status: 500, code: 'INTERNAL_ERROR', detail: 'An unexpected error occurred.', headers: {}, internal: true };
}

function httpExceptionDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') {
    return response;
  }
  if (typeof response === 'object' && 'message' in response) {
    const message: unknown = response.message;
    if (typeof message === 'string') {
      return message;
    }
    if (Array.isArray(message)) {
      return message.filter((part): part is string => typeof part === 'string').join('; ');
    }
  }
  return error.message;
}

// Terminus answers an unready service with 503 and the failing checks under `error`.
function unavailableDetail(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'object' && 'error' in response && typeof response.error === 'object' && response.error !== null) {
    const failing = Object.keys(response.error);
    if (failing.length > 0) {
      return `Not ready: ${failing.join(', ')} unavailable.`;
    }
  }
  return 'The service is temporarily unavailable; retry shortly.';
}
