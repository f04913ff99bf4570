/** The accept pages (the shared browser pages of service-core: no script, every inserted text escaped). */
import { escapeHtml, htmlPage } from '@app/service-core';

/** GET: what the invitation is, and a form to accept it (a GET changes nothing; link scanners fetch links too). */
export function confirmPage(tenantName: string, roles: readonly string[], action: string): string {
  return htmlPage(
    `Join ${tenantName}`,
    `<h1>Join ${escapeHtml(tenantName)}?</h1><p>You were invited to the Cameleer tenant <strong>${escapeHtml(tenantName)}</strong> as ${escapeHtml(roles.join(', '))}.</p>` +
      `<form method="post" action="${escapeHtml(action)}"><button type="submit">Join ${escapeHtml(tenantName)}</button></form>`,
  );
}

/** POST: accepted. */
export function joinedPage(tenantName: string, tenantUrl: string | undefined): string {
  const link = tenantUrl === undefined ? '' : `<p><a href="${escapeHtml(tenantUrl)}">Go to ${escapeHtml(tenantName)}</a></p>`;
  return htmlPage(`You joined ${tenantName}`, `<h1>You joined ${escapeHtml(tenantName)}</h1><p>You are now a member of ${escapeHtml(tenantName)}.</p>${link}`);
}
