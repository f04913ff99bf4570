import { Injectable } from '@nestjs/common';

/**
 * What forward-auth needs of the edge sessions (`@app/edge-sessions` owns them, their table and their cookie):
 * a port, so this lib does not depend on the sessions lib; the composition root (app.module) binds it, as it does
 * AgentStatus. Without a binding there are no browser sessions and forward-auth stays bearer-only.
 */
export const BROWSER_SESSIONS = Symbol('BROWSER_SESSIONS');

/** A signed-in browser: the session's public id (the one its owner sees and revokes) and its Logto subject. */
export interface BrowserSession {
  readonly id: string;
  readonly subject: string;
}

/** The session cookie and where a browser signs in; decided by the sessions lib's config, read here. */
export interface BrowserSignIn {
  readonly cookieName: string;
  /** The cookie's Domain attribute (the parent domain of every tenant host); undefined: host-only. */
  readonly cookieDomain: string | undefined;
  readonly cookieSecure: boolean;
  /** `https://<EDGE_AUTH_HOST>` (no trailing slash): the sign-in routes live under `/api/auth/` there. */
  readonly publicAuthOrigin: string;
}

/**
 * The error codes of `organizationToken` forward-auth tells apart (on any CodedError): the rest pass through as
 * they are (problem or page by their status).
 */
export const SESSION_ENDED = 'SESSION_ENDED';
export const NOT_A_MEMBER = 'NOT_A_MEMBER';

export interface BrowserSessions {
  /** undefined: browser sign-in is off (no edge app configured). */
  readonly signIn: BrowserSignIn | undefined;
  /** The active session for a cookie value from memory, without I/O; undefined on a miss (then call find). */
  cachedSession(cookieValue: string): BrowserSession | undefined;
  /** The active session for a cookie value, or undefined (unknown, expired, revoked, malformed). */
  find(cookieValue: string): Promise<BrowserSession | undefined> | BrowserSession | undefined;
  /** The session's access token for this API scoped to the organization, from memory without I/O; undefined on a miss. */
  cachedOrganizationToken(sessionId: string, organizationId: string): string | undefined;
  /** The session's access token for this API scoped to the organization (SESSION_ENDED, NOT_A_MEMBER, LOGTO_UNAVAILABLE). */
  organizationToken(session: BrowserSession, organizationId: string): Promise<string>;
}

/** The binding when no sessions lib is wired: nobody has a browser session, nobody is sent to sign in. */
@Injectable()
export class NoBrowserSessions implements BrowserSessions {
  readonly signIn = undefined;

  cachedSession(): undefined {
    return undefined;
  }

  find(): undefined {
    return undefined;
  }

  cachedOrganizationToken(): undefined {
    return undefined;
  }

  organizationToken(): Promise<string> {
    return Promise.reject(new Error('no browser sessions are configured'));
  }
}
