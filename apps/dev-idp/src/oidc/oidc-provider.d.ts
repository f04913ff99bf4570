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
  }

  /** What configuration callbacks receive: the Koa context while serving a request, undefined when minting directly. */
  export interface KoaContextWithOidc {
    readonly path: string;
    readonly method: string;
    status: number;
    body: unknown;
    readonly oidc?: {
      readonly route?: string;
      readonly params?: Record<string, unknown>;
      /** The parsed request body, including parameters the route does not recognise. */
      readonly body?: Record<string, unknown>;
      readonly client?: Client;
      /** Set by the grant handler: the token it issued. */
      readonly entities?: { readonly ClientCredentials?: BaseToken };
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
    save(): Promise<string>;
  }

  export interface AccessTokenInit {
    accountId: string;
    client: Client;
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
    cookies?: { keys: string[] };
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
  };

  export default Provider;
}
