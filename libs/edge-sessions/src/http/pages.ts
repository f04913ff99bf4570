/** The small HTML pages of the sign-in routes: no script, inline style only, every inserted text escaped. */

const STYLE = 'body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.5rem 1rem}';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

// same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on the sign-out form POST, which is refused.
function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="same-origin"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** GET /api/auth/logout: asks before signing out (a GET must not change anything). */
export function signOutConfirmationPage(): string {
  return page(
    'Sign out',
    '<h1>Sign out?</h1><p>This ends your Cameleer session in this browser.</p><form method="post" action="/api/auth/logout"><button type="submit">Sign out</button></form>',
  );
}

/** GET /api/auth/signed-out: where Logto returns after its own sign-out. */
export function signedOutPage(): string {
  return page('Signed out', '<h1>Signed out</h1><p>You have signed out of Cameleer. You can close this window.</p>');
}

/** A refusal of a sign-in route, for a browser: what went wrong, in the route's own words. */
export function errorPage(title: string, detail: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p>`);
}

/**
 * The page-specific CSP: nothing may load, and forms may post to this origin and be redirected on to Logto's
 * end-session endpoint (Chromium applies form-action to the redirects after a submission too).
 */
export function pageSecurityPolicy(logtoOrigin: string | undefined): string {
  return [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    `form-action 'self'${logtoOrigin === undefined ? '' : ` ${logtoOrigin}`}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}
