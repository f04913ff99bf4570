// A small Logto Management API client for the bootstrap: generic JSON calls and "list everything" paging, on the
// logto-client lib's HTTP plumbing (timeouts, retries that never repeat an ambiguous create) and token source.
import { type LogtoErrorBody, LogtoHttp, type LogtoLogger, LogtoRequestError, LogtoTokenSource } from '@app/logto-client';

export interface ManagementClientOptions {
  /** Where Logto answers (LOGTO_INTERNAL_URL or LOGTO_ENDPOINT), without `/api`. */
  readonly baseUrl: string;
  readonly appId: string;
  readonly appSecret: string;
  /** Default https://default.logto.app/api (fixed on Logto OSS). */
  readonly managementApiResource: string;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly fetch?: typeof fetch;
  readonly logger?: LogtoLogger;
}

const PAGE_SIZE = 100;
const silent: LogtoLogger = { debug: () => undefined, warn: () => undefined };

type Query = Record<string, string | readonly string[] | undefined>;

export class BootstrapManagementClient {
  private readonly http: LogtoHttp;
  private readonly tokens: LogtoTokenSource;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(options: ManagementClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.retries = options.retries ?? 2;
    this.http = new LogtoHttp(options.logger ?? silent, { fetch: options.fetch });
    this.tokens = new LogtoTokenSource(this.http, {
      tokenUrl: `${this.baseUrl}/oidc/token`,
      resource: options.managementApiResource,
      appId: options.appId,
      appSecret: options.appSecret,
      timeoutMs: this.timeoutMs,
      retries: this.retries,
      expiryMarginMs: 60_000,
      now: Date.now,
    });
  }

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.call<T>('GET', path, { query, retrySafe: true });
  }

  /** Every item of a list, fetched `page_size=100` at a time (works for optional and required pagination). */
  async list<T>(path: string, query: Query = {}): Promise<T[]> {
    const items: T[] = [];
    for (let page = 1; ; page++) {
      const batch = await this.get<T[]>(path, { ...query, page: String(page), page_size: String(PAGE_SIZE) });
      if (!Array.isArray(batch)) {
        throw new Error(`Logto GET /api${path} did not answer with a list`);
      }
      items.push(...batch);
      if (batch.length < PAGE_SIZE) {
        return items;
      }
    }
  }

  /** Creates something: never retried after an attempt whose outcome is unknown (a rerun reconciles instead). */
  post<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('POST', path, { body, retrySafe: false });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, { body, retrySafe: true });
  }

  private async call<T>(method: string, path: string, { query = {}, body, retrySafe }: { query?: Query; body?: unknown; retrySafe: boolean }): Promise<T> {
    const url = new URL(`${this.baseUrl}/api${path}`);
    for (const [key, value] of Object.entries(query)) {
      for (const item of value === undefined ? [] : typeof value === 'string' ? [value] : value) {
        url.searchParams.append(key, item);
      }
    }
    const token = await this.tokens.get();
    const response = await this.http.send({
      method,
      url: url.toString(),
      path: `/api${path}`,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      retrySafe,
      retries: this.retries,
      timeoutMs: this.timeoutMs,
    });
    if (response.status === 401) {
      this.tokens.invalidate(token);
    }
    if (response.status < 200 || response.status >= 300) {
      throw new LogtoRequestError({ method, path: `/api${path}`, status: response.status, body: errorBody(response.body) });
    }
    return response.body as T;
  }
}

function errorBody(body: unknown): LogtoErrorBody | undefined {
  if (typeof body !== 'object' || body === null) {
    return undefined;
  }
  const { code, message } = body as { code?: unknown; message?: unknown };
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof message === 'string' ? { message } : {}),
  };
}
