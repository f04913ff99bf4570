import { CodedError, ErrorCatalog } from '@app/service-core';

/** What the edge-sessions lib answers with, and what each code means over HTTP. */
export const EDGE_SESSIONS_ERRORS = {
  /** `rd` is not an https URL on a tenant host or the platform's own host: no open redirect. */
  INVALID_REDIRECT: { status: 400, title: 'Invalid redirect target' },
  /** The callback came without the login cookie of a sign-in this browser started (or after it was used). */
  SIGN_IN_NOT_STARTED: { status: 400, title: 'Sign-in not started' },
  /** The login cookie's sign-in is unknown, used, older than ten minutes, or its state is not the callback's. */
  SIGN_IN_INVALID: { status: 400, title: 'Sign-in invalid' },
  /** Logto ended the sign-in with an error (e.g. the user cancelled: access_denied). */
  SIGN_IN_REFUSED: { status: 403, title: 'Sign-in refused' },
  /** Sign-out by a form from another origin. */
  FOREIGN_ORIGIN: { status: 403, title: 'Foreign origin' },
  /** No such session of the caller's. */
  NOT_FOUND: { status: 404, title: 'Not Found' },
  /** Browser sign-in is not configured (LOGTO_EDGE_APP_ID, TENANT_BASE_DOMAIN). */
  SIGN_IN_DISABLED: { status: 404, title: 'Browser sign-in not configured' },
  /** Logto refused the session's refresh token: the session is over, sign in again. */
  SESSION_ENDED: { status: 401, title: 'Session ended' },
  /** Logto will not issue a token for that organization to the session's user. */
  NOT_A_MEMBER: { status: 403, title: 'Not a member' },
  /** Logto could not be reached or answered nonsense; the session is kept. */
  LOGTO_UNAVAILABLE: { status: 503, title: 'Identity provider unavailable' },
} as const satisfies ErrorCatalog<string>;

export type EdgeSessionErrorCode = keyof typeof EDGE_SESSIONS_ERRORS;

export class EdgeSessionError extends CodedError<EdgeSessionErrorCode> {
  readonly catalog = EDGE_SESSIONS_ERRORS;
}
