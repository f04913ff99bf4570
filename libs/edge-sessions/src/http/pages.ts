/** The pages of the sign-in routes (the shared browser pages of service-core: no script, every inserted text escaped). */
import { htmlPage } from '@app/service-core';

/** GET /api/auth/logout: asks before signing out (a GET must not change anything). */
export function signOutConfirmationPage(): string {
  return htmlPage(
    'Sign out',
    '<h1>Sign out?</h1><p>This ends your Cameleer session in this browser.</p><form method="post" action="/api/auth/logout"><button type="submit">Sign out</button></form>',
  );
}

/** GET /api/auth/signed-out: where Logto returns after its own sign-out. */
export function signedOutPage(): string {
  return htmlPage('Signed out', '<h1>Signed out</h1><p>You have signed out of Cameleer. You can close this window.</p>');
}
