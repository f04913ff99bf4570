import { CodedError, ErrorCatalog } from '@app/service-core';

/** What the Logto webhook receiver answers with, and what each code means over HTTP. */
export const LOGTO_WEBHOOKS_ERRORS = {
  /** The body is not JSON, or not the shape Logto sends for its event (after a valid signature). */
  INVALID_PAYLOAD: { status: 400, title: 'Invalid webhook payload' },
  /** The logto-signature-sha-256 header is missing, malformed, or not the HMAC of the body under a configured key. */
  INVALID_SIGNATURE: { status: 401, title: 'Invalid webhook signature' },
  /** LOGTO_WEBHOOK_SIGNING_KEY is not set: this installation receives no Logto webhook. */
  WEBHOOK_NOT_CONFIGURED: { status: 404, title: 'Logto webhook not configured' },
  /** The body is larger than LOGTO_WEBHOOK_MAX_BODY_BYTES. */
  PAYLOAD_TOO_LARGE: { status: 413, title: 'Payload Too Large' },
  /** Logto could not be asked what the event needs checked; the handling that did not happen is left to the drift pass. */
  LOGTO_UNAVAILABLE: { status: 503, title: 'Identity provider unavailable' },
} as const satisfies ErrorCatalog<string>;

export type LogtoWebhooksErrorCode = keyof typeof LOGTO_WEBHOOKS_ERRORS;

export class LogtoWebhooksError extends CodedError<LogtoWebhooksErrorCode> {
  readonly catalog = LOGTO_WEBHOOKS_ERRORS;
}
