import type { Provider } from 'oidc-provider';
import { loadOidcProvider } from './oidc-provider-module';

// Through loadOidcProvider, like create-provider.ts: a plain import would load the module before its runtime warning is filtered.
const { errors } = loadOidcProvider();

/** What the token endpoint asks about an application's secrets (Logto's `application_secrets` table). */
export interface ApplicationSecretLookup {
  findSecretByCredentials(applicationId: string, value: string): { expiresAt: number | null } | undefined;
}

/**
 * Every listed secret of an application authenticates at the token endpoint, as in Logto: its middleware
 * koa-app-secret-transpilation.ts looks the presented secret up in `application_secrets` (any name), refuses an
 * expired one with `invalid_request` "client secret has expired", and otherwise swaps in the internal secret that
 * oidc-provider knows; a secret not found there falls through to oidc-provider's own comparison. The dev IdP makes
 * the same decision where oidc-provider compares the secret (one place for the Basic header and the form body, with
 * no second parse of the request body).
 */
export function acceptApplicationSecrets(provider: Provider, secrets: ApplicationSecretLookup): void {
  const client = provider.Client.prototype;
  const compareInternal = client.compareClientSecret;
  client.compareClientSecret = function compareClientSecret(actual) {
    const found = secrets.findSecretByCredentials(this.clientId, actual);
    if (found === undefined) {
      return compareInternal.call(this, actual);
    }
    if (found.expiresAt !== null && found.expiresAt < Date.now()) {
      throw new errors.InvalidRequest('client secret has expired');
    }
    return true;
  };
}
