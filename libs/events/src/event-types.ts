/** Every event the feed carries: `<object>.<verb>`. Subscriptions name these, or `<object>.*`. */
export const EVENT_TYPES = [
  'tenant.created',
  'tenant.updated',
  'tenant.suspended',
  'tenant.resumed',
  'tenant.deleted',
  'tenant.restored',
  'tenant.purged',
  'license.issued',
  'license.revoked',
  'agent.registered',
  'agent.disabled',
  'member.removed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The prefixes a subscription may name (`tenant.*`), one per object that has events. */
const EVENT_PREFIXES: readonly string[] = [...new Set(EVENT_TYPES.map((type) => `${type.split('.')[0]}.*`))];

/** The patterns a subscription may list, for error messages and the OpenAPI document. */
export const EVENT_PATTERNS: readonly string[] = [...EVENT_TYPES, ...EVENT_PREFIXES];
