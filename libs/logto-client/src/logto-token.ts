import { LogtoRequestError } from './logto.errors';
import type { LogtoHttp } from './logto-http';

export interface TokenSourceOptions {
  readonly tokenUrl: string;
  readonly resource: string;
  readonly appId: string;
  readonly appSecret: string;
  readonly timeoutMs: number;
  readonly retries: number;
  readonly expiryMarginMs: number;
  readonly now: () => number;
}

const TOKEN_PATH = '/oidc/token';

/**
 * Management API access tokens by `client_credentials` (HTTP Basic client auth, `scope=all`), cached until
 * shortly before expiry. Concurrent callers share one refresh. The credentials live in a private field so the
 * object can be logged or inspected without leaking them.
 */
export class LogtoTokenSource {
  readonly #authorization: string;
  private cached: { token: string; refreshAt: number } | undefined;
  private inflight: Promise<string> | undefined;

  private readonly options: Omit<TokenSourceOptions, 'appId' | 'appSecret'>;

  constructor(
    private readonly http: LogtoHttp,
    { appId, appSecret, ...options }: TokenSourceOptions,
  ) {
    // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
    const basic = `${encodeURIComponent(appId)}:${encodeURIComponent(appSecret)}`;
    this.#authorization = `Basic ${Buffer.from(basic).toString('base64')}`;
    this.options = options;
  }

  /** A valid token: the cached one, the refresh already in flight, or a new refresh. */
  get(): Promise<string> {
    if (this.cached !== undefined && this.options.now() < this.cached.refreshAt) {
      return Promise.resolve(this.cached.token);
    }
    this.inflight ??= this.fetchToken().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  /** Forgets `token` if it is still the cached one (a 401 proved it dead); a newer token is kept. */
  invalidate(token: string): void {
    if (this.cached?.token === token) {
      this.cached = undefined;
    }
  }

  private async fetchToken(): Promise<string> {
    const requestedAt = this.options.now();
    const response = await this.http.send({
      method: 'POST',
      url: this.options.tokenUrl,
      path: TOKEN_PATH,
      headers: {
        authorization: this.#authorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: this.options.resource, scope: 'all' }),
      // Asking for another token has no side effect worth guarding against.
      retrySafe: true,
      retries: this.options.retries,
      timeoutMs: this.options.timeoutMs,
    });
    const body = (response.body ?? {}) as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown; code?: unknown; message?: unknown };
    if (response.status < 200 || response.status >= 300) {
      // OIDC errors: { error, error_description } (+ Logto's { code: "oidc.<error>", message }).
      const code = typeof body.code === 'string' ? body.code : typeof body.error === 'string' ? `oidc.${body.error}` : undefined;
      const message =
        typeof body.error_description === 'string' ? body.error_description : typeof body.message === 'string' ? body.message : undefined;
      throw new LogtoRequestError({ method: 'POST', path: TOKEN_PATH, status: response.status, body: { code, message } });
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new LogtoRequestError({
        method: 'POST',
        path: TOKEN_PATH,
        status: response.status,
        body: { code: 'logto_client.invalid_token_response', message: 'no access_token in the token response' },
      });
    }
    const lifetimeMs = (typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 3600) * 1000;
    const marginMs = Math.min(this.options.expiryMarginMs, lifetimeMs / 2);
    this.cached = { token: body.access_token, refreshAt: requestedAt + lifetimeMs - marginMs };
    return body.access_token;
  }
}
