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

/** One page of `items` with Logto's `Total-Number` and RFC 5988 `Link` (first, last, prev, next) headers. */
export function paginate<T>(items: readonly T[], pageRequest: PageRequest | undefined, url: URL): JsonResponse {
  if (!pageRequest) {
    return { status: 200, body: items };
  }
  const { page, pageSize } = pageRequest;
  const totalPage = Math.ceil(items.length / pageSize) || 1;
  const link = (target: number, rel: string): string => {
    const query = new URLSearchParams(url.searchParams);
    query.set('page', String(target));
    return `<${url.origin}${url.pathname}?${query.toString()}>; rel="${rel}"`;
  };
  const links = [link(1, 'first'), link(totalPage, 'last')];
  if (page > 1) {
    links.push(link(page - 1, 'prev'));
  }
  if (page < totalPage) {
    links.push(link(page + 1, 'next'));
  }
  return {
    status: 200,
    body: items.slice((page - 1) * pageSize, page * pageSize),
    headers: { 'Total-Number': String(items.length), Link: links },
  };
}

const isPositiveInteger = (value: number): boolean => Number.isInteger(value) && value > 0;
