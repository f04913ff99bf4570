import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Provider } from 'oidc-provider';

import type { UserDirectory } from '../oidc/create-provider';

/** Where oidc-provider sends a browser that must sign in (create-provider.ts `interactions.url`). */
export const INTERACTION_PREFIX = '/interaction/';

const MAX_FORM_BYTES = 16 * 1024;

export interface SignInPageDependencies {
  /** The provider of the moment (a signing-key rotation replaces it; the interactions live on in the shared store). */
  provider(): Provider;
  users: UserDirectory;
  /** Third-party applications get Logto's consent page, which the dev IdP does not have. */
  isThirdParty(clientId: string): boolean;
}

/**
 * The dev IdP's stand-in for Logto's sign-in experience: a username and password form for users with a password
 * (seeded or created through the Management API), then consent given automatically for first-party applications,
 * as Logto's (core src/middleware/koa-auto-consent.ts: every app that is not third-party). Nothing here redirects
 * anywhere but to oidc-provider's own resume URL, which returns to the redirect URI the application registered:
 * the page takes no return address. The interaction is bound to the browser by oidc-provider's interaction cookie
 * (SameSite=Lax, path /interaction/<uid>), so another site can neither read the form nor post it for the user.
 */
export function createSignInPage({ provider, users, isThirdParty }: SignInPageDependencies) {
  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    const [uid = '', action, ...rest] = path.slice(INTERACTION_PREFIX.length).split('/');
    const method = req.method ?? 'GET';
    const route = action === undefined && (method === 'GET' || method === 'HEAD') ? 'show' : action === 'login' && rest.length === 0 && method === 'POST' ? 'login' : undefined;
    if (route === undefined) {
      sendHtml(res, 404, page('Not found', '<p>There is no such page.</p>'));
      return;
    }
    const current = provider();
    let details: Awaited<ReturnType<Provider['interactionDetails']>>;
    try {
      details = await current.interactionDetails(req, res);
    } catch {
      sendHtml(res, 400, expiredPage());
      return;
    }
    if (details.uid !== uid) {
      sendHtml(res, 400, expiredPage());
      return;
    }
    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : '';

    if (details.prompt.name === 'consent') {
      if (isThirdParty(clientId)) {
        sendHtml(res, 400, page('Consent needed', '<p>Third-party applications need a consent page, which the development identity provider does not have.</p>'));
        return;
      }
      const accountId = details.session?.accountId;
      if (accountId === undefined) {
        sendHtml(res, 400, expiredPage());
        return;
      }
      // core src/libraries/session/consent.ts `consent`: the missing OIDC and resource scopes join the grant.
      const grant = (details.grantId === undefined ? undefined : await current.Grant.find(details.grantId)) ?? new current.Grant({ accountId, clientId });
      const { missingOIDCScope = [], missingResourceScopes = {} } = details.prompt.details;
      if (missingOIDCScope.length > 0) {
        grant.addOIDCScope(missingOIDCScope.join(' '));
      }
      for (const [indicator, scopes] of Object.entries(missingResourceScopes)) {
        grant.addResourceScope(indicator, scopes.join(' '));
      }
      const grantId = await grant.save();
      await current.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    if (details.prompt.name !== 'login') {
      sendHtml(res, 400, page('Not supported', '<p>The development identity provider cannot complete this sign-in step.</p>'));
      return;
    }
    if (route === 'show') {
      sendHtml(res, 200, signInForm(uid, clientId, undefined, ''));
      return;
    }
    const form = await readForm(req);
    if (form === undefined) {
      sendHtml(res, 400, signInForm(uid, clientId, 'The form could not be read. Please try again.', ''));
      return;
    }
    const username = form.get('username') ?? '';
    const user = users.userByPassword(username, form.get('password') ?? '');
    if (user === undefined) {
      // One message for an unknown user, a wrong password and a user without one, as Logto's sign-in page.
      sendHtml(res, 200, signInForm(uid, clientId, 'Wrong username or password.', username));
      return;
    }
    if (user.isSuspended) {
      // Logto's 401 `user.suspended` (phrases errors/user.ts), after the password was verified.
      sendHtml(res, 200, signInForm(uid, clientId, 'This account is suspended.', username));
      return;
    }
    await current.interactionFinished(req, res, { login: { accountId: user.id } }, { mergeWithLastSubmission: false });
  };
}

function signInForm(uid: string, clientId: string, error: string | undefined, username: string): string {
  return page(
    'Sign in',
    `<p>Signing in to <strong>${escapeHtml(clientId)}</strong> (development identity provider).</p>
${error === undefined ? '' : `<p role="alert" class="error">${escapeHtml(error)}</p>`}
<form method="post" action="${escapeHtml(`${INTERACTION_PREFIX}${encodeURIComponent(uid)}/login`)}">
<label>Username <input name="username" autocomplete="username" required value="${escapeHtml(username)}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>`,
  );
}

const expiredPage = (): string => page('Sign-in expired', '<p>This sign-in has expired or was already used. Start again from the application.</p>');

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:26rem;margin:4rem auto}label{display:block;margin:.8rem 0}input{display:block;width:100%}.error{color:#b00}</style>
</head><body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=]/g, (character) => `&#${character.charCodeAt(0)};`);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // No scripts and no framing: the page only shows a form (form-action stays open: the redirect after the post
    // leads to the application's registered redirect URI, on another origin).
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(html);
}

/** The urlencoded form body, or undefined when it is another type, too large or unreadable. */
async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) {
      return undefined;
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return new URLSearchParams(text);
}
