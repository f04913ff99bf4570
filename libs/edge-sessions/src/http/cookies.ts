/** The value of the first cookie named `name` in a Cookie header that has a value; undefined when none. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) {
    return undefined;
  }
  for (const pair of header.split(';')) {
    const separator = pair.indexOf('=');
    if (separator > 0 && pair.slice(0, separator).trim() === name) {
      const value = pair.slice(separator + 1).trim();
      if (value.length > 0) {
        return value;
      }
    }
  }
  return undefined;
}

export interface CookieAttributes {
  readonly domain?: string;
  readonly path: string;
  readonly secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  readonly maxAgeSeconds: number;
}

/** A Set-Cookie value: always HttpOnly and SameSite=Lax (a top-level navigation back from Logto still carries it). */
export function setCookie(name: string, value: string, attributes: CookieAttributes): string {
  return [
    `${name}=${value}`,
    ...(attributes.domain === undefined ? [] : [`Domain=${attributes.domain}`]),
    `Path=${attributes.path}`,
    `Max-Age=${Math.max(0, Math.floor(attributes.maxAgeSeconds))}`,
    'HttpOnly',
    ...(attributes.secure ? ['Secure'] : []),
    'SameSite=Lax',
  ].join('; ');
}
