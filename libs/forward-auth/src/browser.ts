import type { BrowserSignIn } from './browser-sessions';

// The browser half of forward-auth's reading of a request: is it a page load, which session cookie does it carry,
// what do the cookies look like without it, and where was it going (for the sign-in's return address).

/** At most this many session cookies of one request are looked up (a cookie tossed in by a sibling host adds one). */
export const MAX_SESSION_COOKIES = 3;
const MAX_RETURN_URL_LENGTH = 4_096;
const RETURN_HOST = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?(:\d{1,5})?$/i;
// A request target as Traefik forwards it: origin-form, printable ASCII, no spaces.
const RETURN_PATH = /^\/[\x21-\x7e]*$/;

/**
 * A browser loading a page: a GET or HEAD with `Sec-Fetch-Mode: navigate` or `Accept` naming text/html. Only these
 * are sent to sign in or shown an HTML page; an XHR or fetch() gets the problem document as before.
 */
export function isNavigation(method: string | undefined, secFetchMode: string | undefined, accept: string | undefined): boolean {
  const verb = method?.toUpperCase();
  if (verb !== 'GET' && verb !== 'HEAD') {
    return false;
  }
  return secFetchMode?.trim().toLowerCase() === 'navigate' || (accept !== undefined && accept.toLowerCase().includes('text/html'));
}

/** The values of every cookie named `name` in a Cookie header, in the order sent (browsers send more specific paths first). */
export function cookieValues(cookieHeader: string | undefined, name: string): string[] {
  if (cookieHeader === undefined || !cookieHeader.includes(name)) {
    return [];
  }
  const values: string[] = [];
  for (const pair of cookieHeader.split(';')) {
    const equals = pair.indexOf('=');
    if (equals > 0 && pair.slice(0, equals).trim() === name) {
      values.push(pair.slice(equals + 1).trim());
    }
  }
  return values;
}

/**
 * The Cookie header the upstream gets: the request's cookies minus every session cookie; undefined when none remain.
 * (Traefik, told `authResponseHeaders=Cookie`, deletes the request's Cookie header and copies this one.)
 */
export function cookiesWithout(cookieHeader: string | undefined, name: string | undefined): string | undefined {
  if (cookieHeader === undefined || cookieHeader === '') {
    return undefined;
  }
  if (name === undefined || !cookieHeader.includes(name)) {
    return cookieHeader;
  }
  const kept = cookieHeader
    .split(';')
    .map((pair) => pair.trim())
    .filter((pair) => pair !== '' && (pair.includes('=') ? pair.slice(0, pair.indexOf('=')).trim() : pair) !== name);
  return kept.length === 0 ? undefined : kept.join('; ');
}

/** A Set-Cookie that removes the session cookie with the attributes it was set with (else the browser keeps it). */
export function clearedSessionCookie(signIn: BrowserSignIn): string {
  return [
    `${signIn.cookieName}=`,
    ...(signIn.cookieDomain === undefined ? [] : [`Domain=${signIn.cookieDomain}`]),
    'Path=/',
    'Max-Age=0',
    'HttpOnly',
    ...(signIn.cookieSecure ? ['Secure'] : []),
    'SameSite=Lax',
  ].join('; ');
}

/**
 * The URL the browser asked for, rebuilt from what Traefik forwards (X-Forwarded-Proto, -Host, -Uri), or
 * undefined when any part is not what a proxy sends (then the sign-in starts without a return address).
 */
export function originalUrl(proto: string | undefined, host: string | undefined, uri: string | undefined): string | undefined {
  const scheme = proto?.trim().toLowerCase();
  if ((scheme !== 'https' && scheme !== 'http') || host === undefined || !RETURN_HOST.test(host.trim())) {
    return undefined;
  }
  const path = uri === undefined || uri === '' ? '/' : uri;
  if (!RETURN_PATH.test(path)) {
    return undefined;
  }
  const url = `${scheme}://${host.trim().toLowerCase()}${path}`;
  return url.length > MAX_RETURN_URL_LENGTH ? `${scheme}://${host.trim().toLowerCase()}/` : url;
}

/** `<publicAuthOrigin>/api/auth/login?rd=<url>`: where a browser without a session starts signing in. */
export function signInLocation(signIn: BrowserSignIn, returnTo: string | undefined): string {
  const login = `${signIn.publicAuthOrigin}/api/auth/login`;
  return returnTo === undefined ? login : `${login}?rd=${encodeURIComponent(returnTo)}`;
}
