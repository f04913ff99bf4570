import { EdgeSessionError } from './edge-sessions.errors';

const MAX_LENGTH = 2048;
// Spaces, control characters and backslashes: browsers and URL parsers disagree on them (`https://evil\@acme…`).
const AMBIGUOUS = /[\s\\]/;

function hasControlCharacter(text: string): boolean {
  return [...text].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);
}

export interface RedirectRules {
  /** TENANT_BASE_DOMAIN: its subdomains are the tenants' hosts. */
  readonly baseDomain: string;
  /** PUBLIC_URL's host, when set. */
  readonly platformHost?: string;
  /** Plain http (and a port) only where the session cookie is not Secure: development. */
  readonly allowHttp: boolean;
}

/**
 * Where a sign-in may return to (`rd`), as the one URL string sent on: an absolute https URL whose host is a tenant's
 * (under TENANT_BASE_DOMAIN) or the platform's own, without credentials. Anything else is INVALID_REDIRECT, so the
 * sign-in is never an open redirect.
 */
export function redirectTarget(rd: unknown, rules: RedirectRules): string {
  if (typeof rd !== 'string' || rd.length === 0 || rd.length > MAX_LENGTH || AMBIGUOUS.test(rd) || hasControlCharacter(rd)) {
    throw invalid();
  }
  let url: URL;
  try {
    url = new URL(rd);
  } catch {
    throw invalid();
  }
  const schemeAllowed = url.protocol === 'https:' || (rules.allowHttp && url.protocol === 'http:');
  const portAllowed = url.port === '' || rules.allowHttp;
  const host = url.hostname.toLowerCase();
  const hostAllowed = host.endsWith(`.${rules.baseDomain}`) || (rules.platformHost !== undefined && host === rules.platformHost);
  if (!schemeAllowed || !portAllowed || !hostAllowed || url.username !== '' || url.password !== '' || !rd.toLowerCase().startsWith(`${url.protocol}//`)) {
    throw invalid();
  }
  return url.href;
}

function invalid(): EdgeSessionError {
  return new EdgeSessionError('INVALID_REDIRECT', 'rd must be an https URL of a tenant host or of this platform.');
}
