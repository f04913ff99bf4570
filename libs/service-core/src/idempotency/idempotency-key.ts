import { createHash } from 'node:crypto';
import { IdempotencyError } from './idempotency-errors';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** 1–255 visible ASCII characters (0x21–0x7E): what clients use for UUIDs, ULIDs and the like. */
const VALID_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The Idempotency-Key of a request: undefined when absent, the key when valid; a 400 problem when the
 * header is empty, too long, repeated or holds anything but visible ASCII (INVALID_IDEMPOTENCY_KEY).
 */
export function readIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  if (Array.isArray(header) || !VALID_KEY.test(header)) {
    throw new IdempotencyError('INVALID_IDEMPOTENCY_KEY', 'The Idempotency-Key header must be one value of 1 to 255 visible ASCII characters.');
  }
  return header;
}

/** Key order does not matter: `{"a":1,"b":2}` and `{"b":2,"a":1}` are the same request. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 over the query string and the canonical JSON body: what "the same request" means for a key. */
export function requestFingerprint(query: string, body: unknown): string {
  return createHash('sha256')
    .update(query)
    .update('\n')
    .update(canonicalJson(body ?? null))
    .digest('hex');
}

/**
 * The resource a key is scoped to: the method, the route's pattern and a digest of its path params (already
 * canonical, see canonicalizeUuidParams) — not the raw URL, so that spellings of one path (percent-encoding,
 * the case of an id) share one scope. The digest keeps the scope within its column whatever the params hold.
 */
export function routeScope(method: string, routePattern: string, params: unknown): string {
  const digest = createHash('sha256').update(canonicalJson(params ?? {})).digest('hex');
  return `${method} ${routePattern} ${digest}`;
}
