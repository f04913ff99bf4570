import { CodedError, ErrorCatalog } from '@app/service-core';

export type ForwardAuthErrorCode = 'TOO_MANY_UNKNOWN_TENANTS' | 'NOT_FOUND' | 'SIGN_IN_REQUIRED';

/** Forward-auth's own answers; the access decisions themselves are the security lib's. */
const FORWARD_AUTH_ERRORS: ErrorCatalog<ForwardAuthErrorCode> = {
  TOO_MANY_UNKNOWN_TENANTS: { status: 429, title: 'Too Many Unknown Tenants' },
  NOT_FOUND: { status: 404, title: 'Not Found' },
  /** A browser session cookie that names no active session (unknown, expired, revoked, ended by Logto). */
  SIGN_IN_REQUIRED: { status: 401, title: 'Sign-in required' },
};

export class ForwardAuthError extends CodedError<ForwardAuthErrorCode> {
  readonly catalog = FORWARD_AUTH_ERRORS;
}
