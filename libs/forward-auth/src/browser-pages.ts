// The small HTML pages a browser gets instead of a problem document when forward-auth refuses a page load.
// Traefik returns a non-2xx auth answer verbatim, so these reach the browser as they are: they name nothing but
// the host the browser asked for (escaped), never a detail of the refusal, and never redirect (no loops).

export interface PageContent {
  readonly title: string;
  readonly text: string;
}

const PRINTABLE_HOST = /^[a-z0-9.-]{1,253}(:\d{1,5})?$/;

/** What a refused page load says, by the refusal's status and code. */
export function pageContent(status: number, code: string, host: string | undefined): PageContent {
  const at = host !== undefined && PRINTABLE_HOST.test(host) ? ` at ${host}` : '';
  switch (status) {
    case 401:
      return { title: 'Sign-in required', text: `The service${at} needs you to sign in, and browser sign-in is not available here.` };
    case 403:
      return code === 'TENANT_SUSPENDED'
        ? { title: 'Tenant suspended', text: `The tenant${at} is suspended. Ask its administrator.` }
        : { title: 'No access', text: `Your account may not open the tenant${at}.` };
    case 404:
      return { title: 'No access', text: `There is no tenant${at} that your account can open.` };
    case 429:
      return { title: 'Too many requests', text: 'Too many requests; try again in a minute.' };
    case 503:
      return { title: 'Temporarily unavailable', text: 'Sign-in cannot be checked right now; try again in a moment.' };
    default:
      return { title: 'Something went wrong', text: 'The request could not be checked; try again later.' };
  }
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character] ?? character);
}

/** The page; `signOutAction` (the sign-out route) adds a sign-out button, for a signed-in browser that may not enter. */
export function pageHtml(content: PageContent, signOutAction: string | undefined, errorId: string | undefined): string {
  const signOut =
    signOutAction === undefined ? '' : `<form method="post" action="${escapeHtml(signOutAction)}"><button type="submit">Sign out</button> and sign in with another account</form>`;
  const reference = errorId === undefined ? '' : `<p><small>Reference: ${escapeHtml(errorId)}</small></p>`;
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(content.title)}</title></head><body><h1>${escapeHtml(content.title)}</h1><p>${escapeHtml(content.text)}</p>${signOut}${reference}</body></html>`
  );
}

/**
 * No scripts, styles, frames or foreign images. No form-action: browsers apply it to the sign-out's redirects too
 * (to Logto's end-session endpoint, an origin forward-auth does not know), and the one form is ours, not injectable.
 */
export const PAGE_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";
