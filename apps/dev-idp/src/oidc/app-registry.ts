import type { AdapterPayload } from 'oidc-provider';

import { DEFAULT_USER_CLIENT_ID } from '../constants';
import { generateSecret, generateStandardId } from '../ids';
import type { ResourceCatalog } from './resource-catalog';

export interface AppRegistrationInput {
  clientId?: string;
  clientSecret?: string;
  name?: string;
  scopesByResource: Record<string, readonly string[]>;
}

export interface RegisteredApp {
  clientId: string;
  clientSecret: string;
  name: string;
  scopesByResource: ReadonlyMap<string, ReadonlySet<string>>;
}

/**
 * Machine-to-machine apps and what each may obtain. Logto derives an M2M app's scopes from its roles; here the
 * registration states them directly, per resource, which is what a test needs to arrange.
 */
export class AppRegistry {
  private readonly apps = new Map<string, RegisteredApp>();

  constructor(private readonly catalog: ResourceCatalog) {}

  /** Registers (or re-registers, replacing the grants of) an app; resources and scopes named become known. */
  register(input: AppRegistrationInput): RegisteredApp {
    const clientId = input.clientId ?? generateStandardId();
    if (clientId === DEFAULT_USER_CLIENT_ID) {
      throw new Error(`"${DEFAULT_USER_CLIENT_ID}" is reserved for minted user tokens`);
    }
    const scopesByResource = new Map<string, ReadonlySet<string>>();
    for (const [indicator, scopes] of Object.entries(input.scopesByResource)) {
      this.catalog.define(indicator, { scopes });
      scopesByResource.set(indicator, new Set(scopes));
    }
    const app: RegisteredApp = {
      clientId,
      clientSecret: input.clientSecret ?? generateSecret(),
      name: input.name ?? clientId,
      scopesByResource,
    };
    this.apps.set(clientId, app);
    return app;
  }

  allowedScopes(clientId: string, indicator: string): readonly string[] {
    return [...(this.apps.get(clientId)?.scopesByResource.get(indicator) ?? [])];
  }

  /** oidc-provider client metadata, served through the adapter so apps can be added while running. */
  clientMetadata(clientId: string): AdapterPayload | undefined {
    if (clientId === DEFAULT_USER_CLIENT_ID) {
      // Stands for the product's SPA: it never authenticates here (no interactive login); tokens are minted.
      return {
        client_id: DEFAULT_USER_CLIENT_ID,
        client_name: 'Dev IdP user app',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['http://127.0.0.1/callback'],
      };
    }
    const app = this.apps.get(clientId);
    if (!app) {
      return undefined;
    }
    return {
      client_id: app.clientId,
      client_secret: app.clientSecret,
      client_name: app.name,
      // Logto registers M2M apps with client_secret_basic; oidc-provider also accepts the secret in the form body.
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    };
  }
}
