/**
 * Narrow typings for the part of oidc-provider 9 the dev IdP uses. The package ships no types and
 * @types/oidc-provider lags the major versions; typing only what we touch keeps `any` out of our code.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type AdapterPayload = Record<string, unknown>;

  export interface Adapter {
    upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void>;
    find(id: string): Promise<AdapterPayload | undefined>;
    findByUserCode(userCode: string): Promise<AdapterPayload | undefined>;
    findByUid(uid: string): Promise<AdapterPayload | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
    jwt?: { sign?: { alg: string } };
  }

  export interface ResourceServer {
    readonly scope: string;
    readonly audience?: string;
    readonly accessTokenTTL?: number;
    identifier(): string;
  }

  export interface Client {
    readonly clientId: string;
    /** The registered token_endpoint_auth_method. */
    readonly clientAuthMethod: string;
  }

  /** What configuration callbacks receive: the Koa context while serving a request, undefined when minting directly. */
  export interface KoaContextWithOidc {
    readonly path: string;
    readonly method: string;
    /** The parsed query string (Koa's `ctx.query`). */
    readonly query: Record<string, string | string[] | undefined>;
    status: number;
    body: unknown;
    readonly oidc?: {
      readonly route?: string;
      readonly params?: Record<string, unknown>;
      /** The parsed request body, including parameters the route does not recognise. */
      readonly body?: Record<string, unknown>;
      readonly client?: Client;
      /** The signed-in browser session (authorization routes only). */
      readonly session?: { readonly accountId?: string };
      /** Set by the grant handler: the account and the tokens it issued. */
      readonly entities?: {
        readonly ClientCredentials?: BaseToken;
        readonly AccessToken?: BaseToken;
        readonly Account?: { readonly accountId: string };
      };
    };
  }

  export interface BaseToken {
    readonly jti: string;
    readonly kind: string;
    readonly clientId?: string;
    readonly accountId?: string;
    readonly aud?: string | string[];
    scope?: string;
    extra?: Record<string, unknown>;
    readonly resourceServer?: ResourceServer;
    readonly expiration: number;
    readonly grantId?: string;
    readonly gty?: string;
    readonly sessionUid?: string;
    readonly sid?: string;
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface RefreshToken extends BaseToken {
    readonly accountId: string;
    readonly isExpired: boolean;
    /** Set once the token was used and rotated. */
    readonly consumed?: number;
    readonly scopes: ReadonlySet<string>;
  }

  export interface Grant {
    addOIDCScope(scope: string): void;
    addResourceScope(indicator: string, scope: string): void;
    save(): Promise<string>;
  }

  export interface InteractionDetails {
    readonly uid: string;
    readonly params: Record<string, unknown>;
    readonly grantId?: string;
    readonly session?: { readonly accountId: string };
    readonly prompt: {
      readonly name: string;
      readonly details: { readonly missingOIDCScope?: string[]; readonly missingResourceScopes?: Record<string, string[]> };
    };
  }

  export type InteractionResult = { login: { accountId: string } } | { consent: { grantId: string } };

  export interface AccessTokenInit {
    accountId: string;
    client: Client;
    grantId?: string;
    gty?: string;
    sessionUid?: string;
    sid?: string;
    scope?: string;
    resourceServer: ResourceServer;
    expiresIn?: number;
    extra?: Record<string, unknown>;
  }

  export interface JwtStructuredToken {
    header?: Record<string, unknown>;
    payload: Record<string, unknown>;
  }

  export interface Configuration {
    adapter?: (modelName: string) => Adapter;
    jwks?: { keys: Record<string, unknown>[] };
    clients?: Record<string, unknown>[];
    clientDefaults?: Record<string, unknown>;
    cookies?: { keys: string[]; long?: CookieOptions; short?: CookieOptions };
    renderError?: (ctx: KoaContextWithOidc, out: Record<string, unknown>, error: Error) => void;
    findAccount?: (ctx: KoaContextWithOidc, sub: string) => Promise<Account | undefined> | Account | undefined;
    /** Scope → the claims it brings (scopes named here that are not claims become known scopes). */
    claims?: Record<string, string[]>;
    conformIdTokenClaims?: boolean;
    interactions?: { url: (ctx: KoaContextWithOidc, interaction: { uid: string }) => string };
    pkce?: { required: (ctx: KoaContextWithOidc, client: Client) => boolean };
    enabledJWA?: { idTokenSigningAlgValues?: string[] };
    extraParams?: string[];
    extraTokenClaims?: (
      ctx: KoaContextWithOidc | undefined,
      token: BaseToken,
    ) => Promise<Record<string, unknown> | undefined> | Record<string, unknown> | undefined;
    features?: {
      devInteractions?: { enabled: boolean };
      clientCredentials?: { enabled: boolean };
      introspection?: { enabled: boolean };
      revocation?: { enabled: boolean };
      rpInitiatedLogout?: { enabled: boolean; logoutSource?: (ctx: KoaContextWithOidc, form: string) => void };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (ctx: KoaContextWithOidc, client: Client) => Promise<string | undefined> | string | undefined;
        useGrantedResource?: () => boolean;
        getResourceServerInfo?: (
          ctx: KoaContextWithOidc | undefined,
          resourceIndicator: string,
          client: Client,
        ) => Promise<ResourceServerInfo> | ResourceServerInfo;
      };
    };
    formats?: {
      customizers?: {
        jwt?: (ctx: KoaContextWithOidc | undefined, token: BaseToken, jwt: JwtStructuredToken) => void | Promise<void>;
      };
    };
    ttl?: Record<string, number | ((ctx: unknown, token: BaseToken, client: Client) => number)>;
  }

  export interface CookieOptions {
    sameSite: 'lax' | 'strict' | 'none';
    path: string;
    signed: boolean;
    overwrite: boolean;
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Record<string, unknown> | Promise<Record<string, unknown>>;
  }

  type KoaMiddleware = (ctx: KoaContextWithOidc, next: () => Promise<void>) => Promise<void>;

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly Client: {
      find(clientId: string): Promise<Client | undefined>;
      /** oidc-provider compares a presented client secret here (client_secret_basic and client_secret_post alike). */
      readonly prototype: { compareClientSecret(this: Client, actual: string): Promise<boolean> | boolean };
    };
    readonly AccessToken: new (init: AccessTokenInit) => BaseToken;
    readonly RefreshToken: { find(value: string, options?: { ignoreExpiration?: boolean }): Promise<RefreshToken | undefined> };
    readonly Grant: { new (init: { accountId: string; clientId: string }): Grant; find(id: string): Promise<Grant | undefined> };
    interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>;
    interactionFinished(req: IncomingMessage, res: ServerResponse, result: InteractionResult, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
    registerGrantType(name: string, handler: (ctx: KoaContextWithOidc) => Promise<void>, parameters: Iterable<string>, dupes?: Iterable<string>): void;
    readonly ResourceServer: new (identifier: string, info: ResourceServerInfo) => ResourceServer;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    use(middleware: KoaMiddleware): void;
    on(event: string, listener: (...args: unknown[]) => void): this;
  }

  export class OIDCProviderError extends Error {
    constructor(status: number, message: string);
    readonly status: number;
    /** The HTTP status oidc-provider's error handler answers with. */
    statusCode: number;
    readonly error: string;
    readonly error_description?: string;
  }

  export const errors: {
    readonly InvalidTarget: new (description?: string) => OIDCProviderError;
    readonly InvalidRequest: new (description?: string) => OIDCProviderError;
    readonly AccessDenied: new (description?: string) => OIDCProviderError;
    readonly InvalidGrant: new (description?: string) => OIDCProviderError;
    readonly InsufficientScope: new (description: string, scope: string) => OIDCProviderError;
  };

  export default Provider;
}

/** oidc-provider's own refresh_token grant (an internal module; see oidc-provider-module.ts loadRefreshTokenGrant). */
declare module 'oidc-provider/lib/actions/grants/refresh_token.js' {
  import type { KoaContextWithOidc, Provider } from 'oidc-provider';

  export const handler: (provider: Provider, helpers: Record<string, unknown>, ctx: KoaContextWithOidc) => Promise<void>;
  export const parameters: ReadonlySet<string>;
}

/** The helpers oidc-provider binds to itself for its grant handlers (helpers/initialize_app.js). */
declare module 'oidc-provider/lib/helpers/grants.js' {
  const helpers: Record<string, (...args: unknown[]) => unknown>;
  export = helpers;
}
