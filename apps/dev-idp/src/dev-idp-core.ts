import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Provider } from 'oidc-provider';

import type { DevIdpOptions } from './config/dev-idp-options';
import { MANAGEMENT_API_RESOURCE, MANAGEMENT_API_SCOPE } from './constants';
import { loadOrCreateSigningKeys, rotateSigningKeys, type SigningKey, type SigningKeyAlgorithm } from './keys/signing-key-store';
import { AccessState } from './management/access-state';
import { seedAsBootstrapped } from './management/bootstrapped-seed';
import { EmailConnector } from './management/email-connector';
import { ManagementState } from './management/management-state';
import { loadManagementData, saveManagementData } from './management/state-file';
import { AppRegistry } from './oidc/app-registry';
import { createOidcProvider } from './oidc/create-provider';
import { ModelStore } from './oidc/memory-adapter';
import { ResourceCatalog } from './oidc/resource-catalog';
import { TokenMinter } from './oidc/token-minter';

/**
 * Everything that issues tokens, shared by the server and the dev:token CLI so both sign identically. The Management
 * API's data and the signing keys live in the data dir, so a restart keeps organizations, memberships, users,
 * applications, roles and keys, and with them the tenants and tokens that refer to them.
 */
export class DevIdpCore {
  private keys: SigningKey[];
  /** oidc-provider's sessions, codes, grants and refresh tokens: in memory, kept across key rotations. */
  private readonly store = new ModelStore();
  private readonly cookieKeys = [randomBytes(32).toString('base64url')];
  /** Logto's email connector: records invitation messages (in memory) for the control channel's `emails` op. */
  readonly email = new EmailConnector();
  private current: { provider: Provider; minter: TokenMinter; callback: ReturnType<Provider['callback']>; kid: string };

  private constructor(
    readonly issuer: string,
    private readonly dataDir: string,
    keys: SigningKey[],
    readonly catalog: ResourceCatalog,
    readonly registry: AppRegistry,
    /** Organizations and users, which the token endpoint consults for organization-scoped M2M tokens. */
    readonly managementState: ManagementState,
    /** Global roles and applications (and their secrets, which the token endpoint accepts). */
    readonly access: AccessState,
  ) {
    this.keys = keys;
    this.current = this.buildProvider();
  }

  static async create(options: DevIdpOptions, endpoint: string): Promise<DevIdpCore> {
    const keys = await loadOrCreateSigningKeys(options.dataDir);
    const catalog = new ResourceCatalog();
    const registry = new AppRegistry(catalog);
    const managementState = new ManagementState(catalog);
    const access = new AccessState(catalog, registry);
    loadManagementData(options.dataDir, { catalog, state: managementState, access });

    // Logto seeds its Management API resource with the fixed ID "management-api" and the single scope "all".
    catalog.define(MANAGEMENT_API_RESOURCE, { id: 'management-api', name: 'Logto Management API', scopes: [MANAGEMENT_API_SCOPE] });
    access.seedManagementApiAccessRole();
    if (options.config.seedLogtoBootstrap) {
      seedAsBootstrapped(options.apiResource, catalog, managementState, access);
    }
    catalog.define(options.apiResource);
    for (const resource of options.config.resources) {
      catalog.define(resource.indicator, resource);
    }
    managementState.seedUsers(options.config.users);
    access.seedTraditionalApps(options.config.traditionalApps);
    for (const app of options.config.apps) {
      registry.register(app);
    }
    return new DevIdpCore(`${endpoint}/oidc`, options.dataDir, keys, catalog, registry, managementState, access);
  }

  /** Current first, then the previous key (published until the next rotation, so earlier tokens keep verifying). */
  get signingKeys(): readonly SigningKey[] {
    return this.keys;
  }

  /** The kid new tokens are signed with. */
  get kid(): string {
    return this.current.kid;
  }

  get provider(): Provider {
    return this.current.provider;
  }

  get minter(): TokenMinter {
    return this.current.minter;
  }

  /** oidc-provider's request handler of the moment (a rotation replaces the provider, as Logto reloads its tenant). */
  handleOidc: ReturnType<Provider['callback']> = (req, res) => this.current.callback(req, res);

  /** Logto's immediate signing-key rotation; the provider is rebuilt on the new key set. */
  async rotateSigningKeys(algorithm: SigningKeyAlgorithm): Promise<readonly SigningKey[]> {
    this.keys = await rotateSigningKeys(this.dataDir, algorithm);
    this.current = this.buildProvider();
    return this.keys;
  }

  /**
   * Logto's `signOutUser` (core src/libraries/user.ts), which a suspension and a deletion call: the user's stored
   * access tokens, refresh tokens and sessions are deleted, so a refresh grant is `invalid_grant` and the next
   * authorization needs a sign-in. Issued JWT access tokens stay valid until they expire: they are not stored.
   */
  signOutUser(userId: string): void {
    for (const model of ['AccessToken', 'RefreshToken', 'Session']) {
      this.store.revokeByAccount(model, userId);
    }
  }

  /** Writes the Management API's data to the data dir; the server calls it after every change. */
  saveState(): void {
    saveManagementData(this.dataDir, { catalog: this.catalog, state: this.managementState, access: this.access });
  }

  private buildProvider(): DevIdpCore['current'] {
    const provider = createOidcProvider({
      issuer: this.issuer,
      signingKeys: this.keys,
      registry: this.registry,
      catalog: this.catalog,
      organizations: this.managementState,
      applicationSecrets: this.access,
      users: this.managementState,
      interactiveClient: (clientId) => this.access.interactiveClientMetadata(clientId),
      store: this.store,
      cookieKeys: this.cookieKeys,
    });
    const [currentKey] = this.keys;
    if (currentKey === undefined) {
      throw new Error('no signing key');
    }
    return { provider, minter: new TokenMinter(provider, this.catalog, currentKey.alg), callback: provider.callback(), kid: currentKey.kid };
  }
}

const ENDPOINT_FILE = 'endpoint';

/** Notes the public base URL the server runs with, so the dev:token CLI on the same data dir signs for the same issuer. */
export function recordEndpoint(dataDir: string, endpoint: string): void {
  writeFileSync(join(dataDir, ENDPOINT_FILE), `${endpoint}\n`, { mode: 0o600 });
}

/** The endpoint the last server on this data dir ran with; undefined when none ran yet. */
export function recordedEndpoint(dataDir: string): string | undefined {
  try {
    return readFileSync(join(dataDir, ENDPOINT_FILE), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

export const createDevIdpCore = (options: DevIdpOptions, endpoint: string): Promise<DevIdpCore> => DevIdpCore.create(options, endpoint);
