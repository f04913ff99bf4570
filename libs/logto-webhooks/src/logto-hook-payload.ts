import { LogtoWebhooksError } from './logto-webhooks.errors';

// Logto's ids are 12–21 characters of [0-9a-z] (generateStandardId); MemberRemovals and the audit trail hold at
// most 64. Anything else (a dot, a slash) is no Logto id and never reaches a Management API path.
const MAX_ID = 64;
const LOGTO_ID = /^[A-Za-z0-9_-]+$/;

/**
 * The fields of Logto's data-hook payload this receiver reads (Logto 1.42: packages/core/src/libraries/hook/index.ts,
 * buildWebhooks: `{ event, createdAt, userAgent, ip, path, method, status, params, matchedRoute, data, hookId, … }`,
 * plus the event's own context, e.g. Organization.Membership.Updated's organizationId and removedUserIds).
 * Anything else in it is ignored.
 */
export interface LogtoHookPayload {
  readonly event: string;
  /** When Logto fired the event (its `createdAt`, an ISO date in the signed body); undefined when absent. */
  readonly createdAt?: Date;
  readonly method?: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly data?: unknown;
  readonly organizationId?: unknown;
  readonly removedUserIds?: unknown;
  readonly addedUserIds?: unknown;
}

/** A parsed body as a payload: a JSON object with a string `event`; else 400. */
export function asHookPayload(body: unknown): LogtoHookPayload {
  if (!isRecord(body) || typeof body.event !== 'string' || body.event.length === 0) {
    throw invalid('the body must be a JSON object with a string "event" (Logto\'s webhook payload)');
  }
  const params = body.params === undefined || body.params === null ? {} : body.params;
  if (!isRecord(params)) {
    throw invalid('"params" must be an object');
  }
  let createdAt: Date | undefined;
  if (body.createdAt !== undefined && body.createdAt !== null) {
    createdAt = typeof body.createdAt === 'string' ? new Date(body.createdAt) : undefined;
    if (createdAt === undefined || Number.isNaN(createdAt.getTime())) {
      throw invalid('"createdAt" must be an ISO date (when Logto fired the event)');
    }
  }
  return {
    event: body.event,
    createdAt,
    method: typeof body.method === 'string' ? body.method : undefined,
    params,
    data: body.data,
    organizationId: body.organizationId,
    removedUserIds: body.removedUserIds,
    addedUserIds: body.addedUserIds,
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The first of `candidates` that is present, as a Logto id; 400 when none is, or the one present is not an id. */
export function idFrom(what: string, ...candidates: unknown[]): string {
  const present = candidates.find((candidate) => candidate !== undefined && candidate !== null);
  if (!isLogtoId(present)) {
    throw invalid(`${what}: expected a Logto id (1 to ${MAX_ID} letters, digits, - or _)`);
  }
  return present;
}

export function isLogtoId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID && LOGTO_ID.test(value);
}

export function invalid(detail: string): LogtoWebhooksError {
  return new LogtoWebhooksError('INVALID_PAYLOAD', detail);
}
