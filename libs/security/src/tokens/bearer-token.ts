/**
 * One non-empty base64url segment exactly as an encoder writes it: no padding, no length of 4n+1, and the unused
 * low bits of a short last group zero. Decoding and re-encoding it gives the same string. jose decodes leniently
 * (ignored bits, `=`, `+`, `/`), so without this one token would have thousands of spellings that all verify and
 * each would be a new key for every cache keyed by the token string.
 */
const SEGMENT = '(?=[\\w-])(?:[\\w-]{4})*(?:[\\w-]{2}[AEIMQUYcgkosw048]|[\\w-][AQgw])?';
const JWS = `${SEGMENT}\\.${SEGMENT}\\.${SEGMENT}`;
const COMPACT_JWS = new RegExp(`^${JWS}$`);
// Every bearer token we accept is a compact JWS (a subset of RFC 6750's b64token): the scheme, one space, the token.
const BEARER = new RegExp(`^Bearer (${JWS})$`);
const MAX_TOKEN_LENGTH = 8192;

export type BearerToken = { readonly kind: 'none' } | { readonly kind: 'malformed' } | { readonly kind: 'token'; readonly token: string };

/** Exactly `Bearer <one token>` in one Authorization header; anything else is malformed. */
export function readBearerToken(header: string | string[] | undefined): BearerToken {
  if (header === undefined) {
    return { kind: 'none' };
  }
  if (Array.isArray(header) || header.length > MAX_TOKEN_LENGTH + 7) {
    return { kind: 'malformed' };
  }
  const match = BEARER.exec(header);
  return match?.[1] === undefined ? { kind: 'malformed' } : { kind: 'token', token: match[1] };
}

/** A compact JWS in its one canonical spelling: three base64url segments that re-encode to themselves. */
export function isCanonicalCompactJws(token: string): boolean {
  return COMPACT_JWS.test(token);
}

/** The protected header of a compact JWS, decoded without verifying: good for routing by `typ`, nothing else. */
export function peekJwtHeader(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] === undefined || parts[0].length > 2048) {
    return undefined;
  }
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && !Array.isArray(header) ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
