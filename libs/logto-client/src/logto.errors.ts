/** Every failure of the Logto client. Messages name the method, path, status and Logto code — never tokens or secrets. */
export abstract class LogtoError extends Error {
  /** HTTP status Logto answered with, when it answered. */
  readonly status?: number;
  /** Logto's error code (`entity.not_exists_with_id`, `oidc.invalid_client`, …), when it sent one. */
  readonly code?: string;

  protected constructor(message: string, details: { status?: number; code?: string; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.status = details.status;
    this.code = details.code;
  }
}

/** The endpoint or the M2M credentials are not configured; nothing was sent. */
export class LogtoNotConfiguredError extends LogtoError {
  constructor(readonly missing: readonly string[]) {
    super(`Logto is not configured (missing ${missing.join(', ')})`);
  }
}

/** The body of a Logto error response: `{ code, message, data?, details? }`. */
export interface LogtoErrorBody {
  readonly code?: string;
  readonly message?: string;
  readonly data?: unknown;
  readonly details?: string;
}

interface ResponseErrorInput {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly body?: LogtoErrorBody;
}

function describeResponse({ method, path, status, body }: ResponseErrorInput): string {
  const code = body?.code === undefined ? '' : ` ${body.code}`;
  const text = body?.message === undefined ? '' : `: ${body.message}`;
  return `Logto ${method} ${path} answered ${status}${code}${text}`;
}

/** A non-2xx answer Logto gave (status, Logto's `code`, and its `data` when present). */
export abstract class LogtoResponseError extends LogtoError {
  override readonly status: number;
  readonly data?: unknown;
  constructor(input: ResponseErrorInput) {
    super(describeResponse(input), { status: input.status, code: input.body?.code });
    this.status = input.status;
    this.data = input.body?.data;
  }
}

/** Any 404, whatever Logto's code (`entity.not_exists_with_id`, `entity.not_exists`, `entity.not_found`). */
export class LogtoNotFoundError extends LogtoResponseError {}

/**
 * 422: Logto's conflict status (it never sends 409) — unique violations, unknown related IDs
 * (`entity.relation_foreign_key_not_found`, e.g. adding users to an organization that does not exist),
 * `organization.require_membership`, … Inspect `code`.
 */
export class LogtoConflictError extends LogtoResponseError {}

/** Any other non-2xx answer that is not a 5xx (400, 401 after a token refresh, 403, …). */
export class LogtoRequestError extends LogtoResponseError {}

/**
 * Statuses below 500 that say "not now" or "not with these credentials" rather than "never with this request":
 * 408 and 429 ask to come back later; 401 and 403 mean our M2M credentials or their grants are wrong, which an
 * operator fixes in configuration, once, for every tenant (the backoff then picks it up by itself).
 */
const RETRYABLE_CLIENT_STATUSES: ReadonlySet<number> = new Set([401, 403, 408, 429]);

/**
 * True when repeating the same request cannot succeed until someone changes something: Logto refused it on its
 * merits (a 4xx such as 422 `entity.relation_foreign_key_not_found` for an unknown user, 400 `guard.invalid_input`,
 * or a 404). Unavailability (5xx, timeouts, network errors), 408, 429, 401 and 403 are not permanent.
 */
export function isPermanentLogtoFailure(error: unknown): error is LogtoResponseError {
  return error instanceof LogtoResponseError && error.status < 500 && !RETRYABLE_CLIENT_STATUSES.has(error.status);
}

/**
 * - `timeout`: no complete answer within the timeout; the request may have been applied.
 * - `network`: connection refused, reset or dropped.
 * - `server_error`: Logto (or a proxy in front of it) answered 5xx.
 */
export type LogtoUnavailableReason = 'timeout' | 'network' | 'server_error';

/** Logto could not be reached or failed, after the retries this call was allowed. */
export class LogtoUnavailableError extends LogtoError {
  readonly reason: LogtoUnavailableReason;
  readonly method: string;
  readonly path: string;
  /** How many attempts were made (1 = not retried). */
  readonly attempts: number;
  /**
   * True when a write may have been applied although no answer arrived (a timeout, or a connection lost after
   * the request was sent). The caller must reconcile (e.g. look the entity up) before trying again.
   */
  readonly ambiguous: boolean;

  constructor(input: {
    reason: LogtoUnavailableReason;
    method: string;
    path: string;
    attempts: number;
    ambiguous: boolean;
    status?: number;
    code?: string;
    cause?: unknown;
  }) {
    const what = input.reason === 'server_error' ? `answered ${input.status ?? '5xx'}` : input.reason === 'timeout' ? 'timed out' : 'network error';
    super(`Logto ${input.method} ${input.path} unavailable (${what}) after ${input.attempts} attempt(s)`, {
      status: input.status,
      code: input.code,
      cause: input.cause,
    });
    this.reason = input.reason;
    this.method = input.method;
    this.path = input.path;
    this.attempts = input.attempts;
    this.ambiguous = input.ambiguous;
  }
}

/** Logto has no email connector: it answers 501 `connector.not_found` to a message request (core libraries/connector.ts). */
export function isMissingEmailConnector(error: unknown): boolean {
  return error instanceof LogtoError && error.status === 501 && error.code === 'connector.not_found';
}
