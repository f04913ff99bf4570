/** Log paths whose values are credentials; pino replaces them before a line is written. */
export const redactPaths: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.authorization',
  '*.password',
  '*.secret',
  '*.clientSecret',
  '*.client_secret',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.refreshToken',
  '*.privateKey',
  '*.assertion',
];

const SENSITIVE_QUERY_KEY = /token|secret|password|assertion|code|key|signature/i;

/** Keeps a URL's path and query keys but blanks the values of anything that may be a credential. */
export function sanitizeUrl(url: string): string {
  const question = url.indexOf('?');
  if (question < 0) {
    return url;
  }
  const params = new URLSearchParams(url.slice(question + 1));
  for (const key of [...params.keys()]) {
    if (SENSITIVE_QUERY_KEY.test(key)) {
      params.set(key, '[redacted]');
    }
  }
  return `${url.slice(0, question)}?${params.toString()}`;
}

/** Keys of a failed statement that carry the values it was given (TypeORM's QueryFailedError, pg's DatabaseError). */
const STATEMENT_VALUE_KEYS = new Set(['parameters']);
// pg's `detail` ("Key (slug)=(acme) already exists") and `where` ("unnamed portal parameter $1 = '…'") quote values.
const POSTGRES_VALUE_KEYS = new Set(['detail', 'where']);
const MAX_SCRUB_DEPTH = 6;

function isPostgresError(value: Record<string, unknown>): boolean {
  return typeof value.severity === 'string' && typeof value.code === 'string';
}

/**
 * A copy of a serialized error without the values of a failed statement: its parameters, and the
 * fields in which PostgreSQL quotes them. The error itself is never modified.
 */
export function withoutStatementValues(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > MAX_SCRUB_DEPTH) {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((item) => withoutStatementValues(item, depth + 1));
  }
  const record = value as Record<string, unknown>;
  const postgres = isPostgresError(record);
  const copy: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(record)) {
    if (STATEMENT_VALUE_KEYS.has(key) || (postgres && POSTGRES_VALUE_KEYS.has(key))) {
      copy[key] = '[redacted]';
    } else {
      copy[key] = withoutStatementValues(member, depth + 1);
    }
  }
  return copy;
}
