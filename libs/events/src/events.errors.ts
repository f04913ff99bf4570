import { CodedError, ErrorCatalog } from '@app/service-core';

/** What the events lib answers with, and what each code means over HTTP. */
export const EVENTS_ERRORS = {
  VALIDATION_FAILED: { status: 400, title: 'Bad Request' },
  /** A webhook target that is not https, or names (or resolves to) a loopback, private or link-local address. */
  TARGET_NOT_ALLOWED: { status: 400, title: 'Webhook target not allowed' },
  /** `after` is not a cursor this feed handed out. */
  INVALID_CURSOR: { status: 400, title: 'Invalid cursor' },
  NOT_FOUND: { status: 404, title: 'Not Found' },
} as const satisfies ErrorCatalog<string>;

export type EventsErrorCode = keyof typeof EVENTS_ERRORS;

export class EventsError extends CodedError<EventsErrorCode> {
  readonly catalog = EVENTS_ERRORS;
}
