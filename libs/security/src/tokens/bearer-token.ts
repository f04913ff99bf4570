// RFC 6750 b64token: the only characters a bearer token may have.
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/;
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
