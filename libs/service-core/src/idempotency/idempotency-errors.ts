import { CodedError, ErrorCatalog } from '../errors/coded-error';

/** What Idempotency-Key handling answers when it refuses a request. */
export const IDEMPOTENCY_ERRORS = {
  INVALID_IDEMPOTENCY_KEY: { status: 400, title: 'The Idempotency-Key header is not one value of 1 to 255 visible ASCII characters' },
  IDEMPOTENCY_IN_PROGRESS: { status: 409, title: 'The first request with this Idempotency-Key is still running' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, title: 'The Idempotency-Key was used with a different request' },
} as const satisfies ErrorCatalog<string>;

export type IdempotencyErrorCode = keyof typeof IDEMPOTENCY_ERRORS;

export class IdempotencyError extends CodedError<IdempotencyErrorCode> {
  readonly catalog = IDEMPOTENCY_ERRORS;
}
