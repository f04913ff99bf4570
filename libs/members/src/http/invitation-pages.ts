/** The accept pages: no script, inline style only, every inserted text escaped. */

const STYLE = 'body{font-family:system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#222}button{font-size:1rem;padding:.5rem 1rem}';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

// same-origin, not no-referrer: with no-referrer Chromium sends `Origin: null` on a form POST, which is refused.
function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="same-origin"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;
}

/** GET: what the invitation is, and a form to accept it (a GET changes nothing; link scanners fetch links too). */
export function confirmPage(tenantName: string, roles: readonly string[], action: string): string {
  return page(
    `Join ${tenantName}`,
    `<h1>Join ${escapeHtml(tenantName)}?</h1><p>You were invited to the Cameleer tenant <strong>${escapeHtml(tenantName)}</strong> as ${escapeHtml(roles.join(', '))}.</p>` +
      `<form method="post" action="${escapeHtml(action)}"><button type="submit">Join ${escapeHtml(tenantName)}</button></form>`,
  );
}

/** POST: accepted. */
export function joinedPage(tenantName: string, tenantUrl: string | undefined): string {
  const link = tenantUrl === undefined ? '' : `<p><a href="${escapeHtml(tenantUrl)}">Go to ${escapeHtml(tenantName)}</a></p>`;
  return page(`You joined ${tenantName}`, `<h1>You joined ${escapeHtml(tenantName)}</h1><p>You are now a member of ${escapeHtml(tenantName)}.</p>${link}`);
}

/** A refusal, for a browser: what went wrong, in the route's own words. */
export function refusalPage(title: string, detail: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p>`);
}

/** Nothing may load; the form posts to this origin only. */
export const PAGE_SECURITY_POLICY = ["default-src 'none'", "style-src 'unsafe-inline'", "form-action 'self'", "frame-ancestors 'none'", "base-uri 'none'"].join('; ');
