import { HttpStatus } from '@nestjs/common';

/** One field's validation messages, in the `errors` member of a 400 problem. */
export interface FieldError {
  readonly field: string;
  readonly messages: readonly string[];
}

/**
 * The one error body this API returns: RFC 9457 problem details with a stable `code`
 * and the request id, served as `application/problem+json`.
 */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly requestId: string;
  readonly errors?: readonly FieldError[];
  readonly errorId?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ProblemOptions {
  readonly errors?: readonly FieldError[];
  readonly headers?: Readonly<Record<string, string>>;
  readonly cause?: unknown;
}

/**
 * Thrown anywhere a request must end with a specific status and code. Libs subclass it
 * (or throw it with their own codes) instead of Nest's HttpException, so the code is part of the contract.
 */
export class ProblemException extends Error {
  readonly errors?: readonly FieldError[];
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
    options: ProblemOptions = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = 'ProblemException';
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export function problemType(code: string): string {
  return `urn:cameleer:problem:${code.toLowerCase().replace(/_/g, '-')}`;
}

export function problemTitle(status: number): string {
  const name: string | undefined = HttpStatus[status];
  if (name === undefined) {
    return status >= 500 ? 'Server Error' : 'Client Error';
  }
  return name
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

export function problemBody(
  status: number,
  code: string,
  detail: string,
  requestId: string,
  extras: { title?: string; errors?: readonly FieldError[]; errorId?: string } = {},
): ProblemBody {
  return {
    type: problemType(code),
    title: extras.title ?? problemTitle(status),
    status,
    detail,
    code,
    requestId,
    ...(extras.errors !== undefined ? { errors: extras.errors } : {}),
    ...(extras.errorId !== undefined ? { errorId: extras.errorId } : {}),
  };
}
