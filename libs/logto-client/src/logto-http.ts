import { setTimeout as sleep } from 'node:timers/promises';
import { LogtoUnavailableError, type LogtoUnavailableReason } from './logto.errors';

/** What the client logs: only method, path, status, duration and attempt — never headers, bodies or query values. */
export interface LogtoLogger {
  debug(message: string): void;
  warn(message: string): void;
}

/** Plumbing a caller (or a test) may replace; everything has a production default. */
export interface LogtoClientOptions {
  /** Default: the global fetch. Tests may wrap it to observe requests. */
  readonly fetch?: typeof fetch;
  readonly logger?: LogtoLogger;
  /** First retry waits about this long, doubling each time, with jitter (default 200 ms). */
  readonly retryBaseDelayMs?: number;
  /** Longest wait between attempts (default 2000 ms). */
  readonly retryMaxDelayMs?: number;
  /** A cached token is refreshed this long before it expires (default 60 s, at most half its lifetime). */
  readonly tokenExpiryMarginMs?: number;
  /** Clock for token expiry (default Date.now). */
  readonly now?: () => number;
}

/** Injection token for optional LogtoClientOptions. */
export const LOGTO_CLIENT_OPTIONS = Symbol('LOGTO_CLIENT_OPTIONS');

export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  /** Path for logs and errors (no query string). */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string | URLSearchParams;
  /**
   * May the request be sent again after an attempt whose outcome is unknown (timeout, connection lost after
   * sending, 502/504 from a proxy)? True for reads and idempotent writes; false for POSTs that create something.
   */
  readonly retrySafe: boolean;
  readonly retries: number;
  readonly timeoutMs: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  /** Parsed JSON, the raw text for other content types, undefined when empty. */
  readonly body: unknown;
  /** An earlier attempt of this call ended with an unknown outcome (so e.g. a DELETE's 404 may mean "done"). */
  readonly afterAmbiguousAttempt: boolean;
}

/** Error codes that mean the connection was never established, so nothing reached Logto. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

interface AttemptFailure {
  readonly reason: LogtoUnavailableReason;
  /** The request may have been applied by Logto. */
  readonly ambiguous: boolean;
  readonly status?: number;
  readonly code?: string;
  readonly cause?: unknown;
}

/** How one call (all its attempts) ended: an answer below 400, a 4xx, or none (LogtoUnavailableError). */
export type LogtoCallOutcome = 'ok' | 'client_error' | 'unavailable';

/** Told of every call's outcome and duration in seconds (the app's metrics). */
export type LogtoCallObserver = (outcome: LogtoCallOutcome, seconds: number) => void;

/** One Logto HTTP exchange with per-attempt timeout and retries (exponential backoff with jitter). */
export class LogtoHttp {
  private readonly fetchFn: typeof fetch;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly logger: LogtoLogger,
    options: LogtoClientOptions = {},
    private readonly observe: LogtoCallObserver = () => undefined,
  ) {
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
    this.baseDelayMs = options.retryBaseDelayMs ?? 200;
    this.maxDelayMs = options.retryMaxDelayMs ?? 2000;
  }

  /**
   * Resolves with any answer below 500 (the caller maps 4xx). Throws LogtoUnavailableError once the retries are
   * spent, or at once when a retry could repeat a write that may already have happened.
   */
  async send(request: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    try {
      const response = await this.sendWithRetries(request);
      this.observe(response.status < 400 ? 'ok' : 'client_error', (performance.now() - started) / 1000);
      return response;
    } catch (error) {
      this.observe('unavailable', (performance.now() - started) / 1000);
      throw error;
    }
  }

  private async sendWithRetries(request: HttpRequest): Promise<HttpResponse> {
    let afterAmbiguousAttempt = false;
    for (let attempt = 1; ; attempt++) {
      const failure = await this.attempt(request, attempt, afterAmbiguousAttempt);
      if (!('reason' in failure)) {
        return failure;
      }
      const unsafe = failure.ambiguous && !request.retrySafe;
      if (unsafe || attempt > request.retries) {
        throw new LogtoUnavailableError({
          ...failure,
          method: request.method,
          path: request.path,
          attempts: attempt,
          ambiguous: failure.ambiguous && request.method !== 'GET' && request.method !== 'HEAD',
        });
      }
      afterAmbiguousAttempt ||= failure.ambiguous;
      await sleep(this.backoff(attempt));
    }
  }

  private async attempt(request: HttpRequest, attempt: number, afterAmbiguousAttempt: boolean): Promise<HttpResponse | AttemptFailure> {
    const started = performance.now();
    const signal = AbortSignal.timeout(request.timeoutMs);
    const elapsed = (): string => `${Math.round(performance.now() - started)} ms`;
    try {
      const response = await this.fetchFn(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        signal,
        redirect: 'manual',
      });
      const body = await readBody(response);
      this.logger.debug(`${request.method} ${request.path} ${response.status} ${elapsed()} (attempt ${attempt})`);
      if (response.status >= 500) {
        const logto = body as { code?: unknown } | undefined;
        return {
          reason: 'server_error',
          // A gateway answering 502/504 may have lost Logto's answer to a request Logto did process.
          ambiguous: response.status === 502 || response.status === 504,
          status: response.status,
          code: typeof logto?.code === 'string' ? logto.code : undefined,
        };
      }
      return { status: response.status, headers: response.headers, body, afterAmbiguousAttempt };
    } catch (error: unknown) {
      const timedOut = signal.aborted || (error as { name?: unknown } | undefined)?.name === 'TimeoutError';
      const code = errorCode(error);
      this.logger.debug(
        `${request.method} ${request.path} ${timedOut ? 'timeout' : `network error${code === undefined ? '' : ` ${code}`}`} ${elapsed()} (attempt ${attempt})`,
      );
      if (timedOut) {
        return { reason: 'timeout', ambiguous: true, cause: error };
      }
      return { reason: 'network', ambiguous: code === undefined || !NOT_SENT_CODES.has(code), code, cause: error };
    }
  }

  /** Exponential backoff with "equal jitter": half fixed, half random. */
  private backoff(attempt: number): number {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') {
    return undefined;
  }
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * undici wraps socket errors as `TypeError('fetch failed', { cause })`; the code is on the cause. No
 * `instanceof Error`: fetch's errors may come from another realm (e.g. under Jest).
 */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; typeof current === 'object' && current !== null && depth < 5; depth++) {
    const { code, cause } = current as { code?: unknown; cause?: unknown };
    if (typeof code === 'string') {
      return code;
    }
    current = cause;
  }
  return undefined;
}
