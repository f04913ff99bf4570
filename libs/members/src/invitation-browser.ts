import { Injectable } from '@nestjs/common';

/** How the members lib reaches the edge sign-in (bound in the app: the libs do not know each other). */
export const INVITATION_BROWSER = Symbol('INVITATION_BROWSER');

/**
 * The browser side of accepting an invitation: where the edge sign-in lives and who a browser's session cookie
 * belongs to. The accept page is on the edge sign-in host, which sets the session cookie.
 */
export interface InvitationBrowser {
  /** `https://<EDGE_AUTH_HOST>` without a trailing slash; undefined when browser sign-in is not configured here. */
  readonly publicAuthOrigin: string | undefined;
  /** The Logto user id (`sub`) of the active browser session the Cookie header carries, or undefined. */
  signedInUser(cookieHeader: string | undefined): Promise<string | undefined>;
  /** The tenant's own host, e.g. `https://acme.cameleer.example`, or undefined when not configured. */
  tenantUrl(slug: string): string | undefined;
}

/** The binding without edge sessions: nobody is signed in, no invitation can be accepted here. */
@Injectable()
export class NoInvitationBrowser implements InvitationBrowser {
  readonly publicAuthOrigin = undefined;

  signedInUser(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  tenantUrl(): undefined {
    return undefined;
  }
}

const ACCEPT_PATH_PREFIX = '/api/auth/invitations/';

/** The accept page of an invitation, the link the invitation email carries. */
export function acceptUrl(publicAuthOrigin: string, invitationId: string): string {
  return `${publicAuthOrigin}${ACCEPT_PATH_PREFIX}${encodeURIComponent(invitationId)}`;
}

/** The edge sign-in, returning to `returnTo` once signed in. */
export function signInUrl(publicAuthOrigin: string, returnTo: string): string {
  return `${publicAuthOrigin}/api/auth/login?rd=${encodeURIComponent(returnTo)}`;
}
