import { QueryFailedError } from 'typeorm';

// SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, restart).
const UNAVAILABLE_SQLSTATES = new Set(['08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03']);
const UNAVAILABLE_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = [/connection terminated/i, /timeout exceeded when trying to connect/i, /connection is not open/i, /Client has encountered a connection error/i];

function codeOf(error: unknown): string | undefined {
  const candidate = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  if (typeof candidate === 'object' && candidate !== null && 'code' in candidate && typeof candidate.code === 'string') {
    return candidate.code;
  }
  return undefined;
}

/** True when the error means "PostgreSQL is not reachable right now", as opposed to a bad query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  const code = codeOf(error);
  if (code !== undefined && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_ERRNOS.has(code))) {
    return true;
  }
  if (error instanceof AggregateError) {
    return error.errors.some(isDatabaseUnavailable);
  }
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(error.message));
}

/** SQLSTATE 23505: a unique constraint refused the write. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (codeOf(error) !== '23505') {
    return false;
  }
  if (constraint === undefined) {
    return true;
  }
  const driverError = error instanceof QueryFailedError ? (error.driverError as { constraint?: string }) : (error as { constraint?: string });
  return driverError.constraint === constraint;
}

/** A one-line description of a database error that never includes credentials. */
export function describeDatabaseError(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const code = codeOf(error);
  const message = error instanceof AggregateError && error.errors.length > 0 ? describeDatabaseError(error.errors[0]) : error.message;
  return code !== undefined && !message.includes(code) ? `${code} ${message}` : message;
}
