/** The one UUID rule for ids in paths, bodies and tokens (any version, either case on input). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * Rewrites every UUID among a request's path params to its canonical (lower-case) spelling, in place.
 * Runs before guards, interceptors and handlers, so authorization, Idempotency-Key scopes, SQL and
 * responses all see one spelling of an id: an upper-case tenant id is the same tenant, not a new scope.
 */
export function canonicalizeUuidParams(params: unknown): void {
  if (typeof params !== 'object' || params === null) {
    return;
  }
  const record = params as Record<string, unknown>;
  for (const [name, value] of Object.entries(record)) {
    if (isUuid(value)) {
      record[name] = value.toLowerCase();
    }
  }
}
