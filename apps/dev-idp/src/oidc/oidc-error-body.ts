import type { KoaContextWithOidc } from 'oidc-provider';

/** Logto's English messages of the `oidc.*` error codes (packages/phrases src/locales/en/errors/oidc.ts). */
const MESSAGES: Readonly<Record<string, string>> = Object.freeze({
  'oidc.aborted': 'The end-user aborted interaction.',
  'oidc.invalid_token': 'Invalid token provided.',
  'oidc.invalid_client_metadata': 'Invalid client metadata provided.',
  'oidc.invalid_request': 'Request is invalid.',
  'oidc.invalid_grant': 'Grant request is invalid.',
  'oidc.invalid_issuer': 'Invalid issuer.',
  'oidc.invalid_redirect_uri': "`redirect_uri` did not match any of the client's registered `redirect_uris`.",
  'oidc.access_denied': 'Access denied.',
  'oidc.invalid_target': 'Invalid resource indicator.',
  'oidc.unsupported_grant_type': 'Unsupported `grant_type` requested.',
  'oidc.unsupported_response_mode': 'Unsupported `response_mode` requested.',
  'oidc.unsupported_response_type': 'Unsupported `response_type` requested.',
  'oidc.server_error': 'An unknown OIDC error occurred. Please try again later.',
  // errors/session.ts
  'session.not_found': 'Session not found. Please go back and sign in again.',
});

/** Supplementary URIs for oidc-provider errors (Logto's `errorUris`). */
const ERROR_URIS: Readonly<Record<string, string>> = Object.freeze({ invalid_grant: 'https://openid.sh/debug/invalid_grant' });

/** Logto's `isSessionNotFound`: oidc-provider says so only in its description. */
const isSessionNotFound = (description: string | undefined): boolean =>
  (description?.includes('session') === true && description.includes('not found')) || description?.includes('authorization request has expired') === true;

function message(code: string, description: string | undefined, scope: unknown): string {
  // Two messages interpolate: invalid_scope its description, insufficient_scope the missing scope.
  if (code === 'oidc.invalid_scope') {
    return `Invalid scope: ${description ?? ''}.`;
  }
  if (code === 'oidc.insufficient_scope') {
    return `Token missing scope \`${typeof scope === 'string' ? scope : ''}\`.`;
  }
  return MESSAGES[code] ?? `An OIDC error occurred: ${code}.`;
}

/**
 * The JSON error bodies of the OIDC endpoints as Logto answers them (core src/middleware/koa-oidc-error-handler.ts):
 * oidc-provider's `error` and `error_description` (and `scope`) kept, with Logto's `code` (`oidc.<error>`, or
 * `session.not_found`), its `message` and, for invalid_grant, an `error_uri` in front. `?parse_error=false` answers
 * the raw oidc-provider body (for clients that reserve `code`). oidc-provider renders its errors in each route's own
 * handler, so only its bodies are rewritten here (Logto's `errorOut` branch is for errors its own middleware throws).
 */
export async function errorBodyAsLogto(ctx: KoaContextWithOidc, next: () => Promise<void>): Promise<void> {
  await next();
  const body: unknown = ctx.body;
  if (ctx.status < 400 || ctx.query.parse_error === 'false' || typeof body !== 'object' || body === null || Array.isArray(body) || Buffer.isBuffer(body)) {
    return;
  }
  const { error, error_description: description, scope } = body as Record<string, unknown>;
  if (typeof error !== 'string' || (description !== undefined && typeof description !== 'string')) {
    return;
  }
  const code = isSessionNotFound(description) ? 'session.not_found' : `oidc.${error}`;
  const uri = ERROR_URIS[error];
  ctx.body = { code, message: message(code, description, scope), ...(uri === undefined ? {} : { error_uri: uri }), ...body };
}
