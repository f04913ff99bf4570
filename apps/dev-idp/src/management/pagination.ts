import { parse as parseQueryString } from 'node:querystring';

import { RequestError } from './request-error';
import type { JsonResponse } from './route-table';

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

export interface PageRequest {
  page: number;
  pageSize: number;
}

/**
 * Logto's koa-pagination: `page` from 1, `page_size` 1..100 (default 20); anything else is 400
 * `guard.invalid_pagination`. For relation lists where pagination is optional, `undefined` means "return all".
 */
export function parsePagination(query: URLSearchParams, { optional = false } = {}): PageRequest | undefined {
  const page = query.get('page');
  const pageSize = query.get('page_size');
  if (optional && page === null && pageSize === null) {
    return undefined;
  }
  const parsed = {
    page: page ? Number(page) : 1,
    pageSize: pageSize ? Number(pageSize) : DEFAULT_PAGE_SIZE,
  };
  if (!isPositiveInteger(parsed.page) || !isPositiveInteger(parsed.pageSize) || parsed.pageSize > MAX_PAGE_SIZE) {
    throw new RequestError(400, 'guard.invalid_pagination', 'The pagination value is not valid.');
  }
  return parsed;
}

/**
 * One page of `items` with Logto's `Total-Number` and `Link` headers, written as Logto 1.42 writes them (core
 * middleware/koa-pagination.ts and utils/pagination.ts `buildLink`):
 * - one `Link` header per relation, in the order first, prev (page > 1), last, next (page < last);
 * - the URL is the request's origin and path *without* the `/api` mount point (Logto mounts the Management API with
 *   koa-mount, which strips it from `ctx.path`), e.g. `<http://host/roles?page=2&page_size=20>; rel="next"`;
 * - the query is Koa's `ctx.request.query` (node:querystring) spread into `URLSearchParams` with `page` replaced:
 *   a repeated parameter comes out as one comma-joined value (`types=a&types=b` → `types=a%2Cb`).
 */
export function paginate<T>(items: readonly T[], pageRequest: PageRequest | undefined, url: URL): JsonResponse {
  if (!pageRequest) {
    return { status: 200, body: items };
  }
  const { page, pageSize } = pageRequest;
  const totalPage = Math.ceil(items.length / pageSize) || 1;
  const query = parseQuery(url.search.slice(1));
  const pathWithoutMount = url.pathname.replace(/^\/api(?=\/|$)/, '') || '/';
  const link = (target: number, rel: string): string =>
    `<${url.origin}${pathWithoutMount}?${new URLSearchParams({ ...query, page: String(target) }).toString()}>; rel="${rel}"`;
  const links = [link(1, 'first')];
  if (page > 1) {
    links.push(link(page - 1, 'prev'));
  }
  links.push(link(totalPage, 'last'));
  if (page < totalPage) {
    links.push(link(page + 1, 'next'));
  }
  return {
    status: 200,
    body: items.slice((page - 1) * pageSize, page * pageSize),
    headers: { 'Total-Number': String(items.length), Link: links },
  };
}

/** Koa's query object, with each repeated parameter's values joined by commas as `URLSearchParams` renders them. */
function parseQuery(search: string): Record<string, string> {
  const parsed = parseQueryString(search);
  return Object.fromEntries(
    Object.entries(parsed).map(([key, value]) => [key, Array.isArray(value) ? value.join(',') : (value ?? '')]),
  );
}

const isPositiveInteger = (value: number): boolean => Number.isInteger(value) && value > 0;
