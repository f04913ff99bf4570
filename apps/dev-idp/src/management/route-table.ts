import type { DataHookContext } from './hooks';

export interface JsonResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string | string[]>;
  /** Data-hook contexts the route appended (Logto's ctx.appendDataHookContext), sent after a 2xx answer. */
  hookContexts?: DataHookContext[];
}

export interface ManagementRequest {
  method: string;
  url: URL;
  /** A path parameter named in the route pattern. */
  param(name: string): string;
  body: unknown;
}

export type RouteHandler = (request: ManagementRequest) => JsonResponse | Promise<JsonResponse>;

interface Route {
  method: string;
  pattern: string;
  segments: readonly string[];
  handler: RouteHandler;
}

/** Method + path-pattern dispatch (`/organizations/:id/users`) relative to `/api`; enough for a small API. */
export class RouteTable {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler): this {
    this.routes.push({ method, pattern, segments: splitPath(pattern), handler });
    return this;
  }

  /** The handler, its pattern and the path params, `'method-not-allowed'` when only the method differs, or undefined. */
  match(method: string, path: string): { handler: RouteHandler; pattern: string; params: Record<string, string> } | 'method-not-allowed' | undefined {
    const segments = splitPath(path);
    let pathMatched = false;
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (params) {
        if (route.method === method) {
          return { handler: route.handler, pattern: route.pattern, params };
        }
        pathMatched = true;
      }
    }
    return pathMatched ? 'method-not-allowed' : undefined;
  }
}

const splitPath = (path: string): string[] => path.split('/').filter((segment) => segment !== '');

function matchSegments(pattern: readonly string[], actual: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) {
    return undefined;
  }
  const params: Record<string, string> = {};
  for (const [i, expected] of pattern.entries()) {
    const value = actual[i] ?? '';
    if (expected.startsWith(':')) {
      params[expected.slice(1)] = decodeURIComponent(value);
    } else if (expected !== value) {
      return undefined;
    }
  }
  return params;
}
