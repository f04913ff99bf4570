import type { Provider } from 'oidc-provider';

import { buildOrganizationUrn, DEFAULT_USER_CLIENT_ID } from '../constants';
import type { SigningKey } from '../keys/signing-key-store';
import { jwtResourceServer } from './resource-server';
import type { ResourceCatalog } from './resource-catalog';

export interface MintUserTokenRequest {
  sub: string;
  resource: string;
  scopes: readonly string[];
  organizationId?: string;
  expiresIn?: number;
  /** The app the token claims to be issued to (`client_id`); defaults to the built-in user app. */
  clientId?: string;
}

export interface MintOrganizationTokenRequest {
  sub: string;
  organizationId: string;
  scopes: readonly string[];
  expiresIn?: number;
}

/**
 * Issues user tokens without a login flow. The tokens are built and signed by oidc-provider's own AccessToken model
 * (not by hand), so their shape is exactly what the provider would issue after an authorization code exchange.
 */
export class TokenMinter {
  constructor(
    private readonly provider: Provider,
    private readonly catalog: ResourceCatalog,
    private readonly alg: SigningKey['alg'],
  ) {}

  /** An API-resource token (`aud` = resource); with `organizationId`, Logto's organization-scoped variant. */
  mintUserToken(request: MintUserTokenRequest): Promise<string> {
    const extra = request.organizationId === undefined ? undefined : { organization_id: request.organizationId };
    return this.mint(request, request.resource, extra);
  }

  /** Logto's organization token: `aud = urn:logto:organization:<id>`, org-template scopes, no organization_id. */
  mintOrganizationToken(request: MintOrganizationTokenRequest): Promise<string> {
    return this.mint(request, buildOrganizationUrn(request.organizationId), undefined);
  }

  private async mint(
    request: Pick<MintUserTokenRequest, 'sub' | 'scopes' | 'expiresIn' | 'clientId'>,
    audience: string,
    extra: Record<string, unknown> | undefined,
  ): Promise<string> {
    if (request.sub === '') {
      throw new Error('sub must not be empty');
    }
    const clientId = request.clientId ?? DEFAULT_USER_CLIENT_ID;
    const client = await this.provider.Client.find(clientId);
    if (!client) {
      throw new Error(`Unknown client "${clientId}"`);
    }
    const scope = request.scopes.join(' ');
    const resourceServer = new this.provider.ResourceServer(
      audience,
      jwtResourceServer(request.scopes, this.alg, this.catalog.findByIndicator(audience)?.accessTokenTtl),
    );
    const token = new this.provider.AccessToken({
      accountId: request.sub,
      client,
      resourceServer,
      scope,
      ...(request.expiresIn === undefined ? {} : { expiresIn: request.expiresIn }),
      ...(extra === undefined ? {} : { extra }),
    });
    return token.save();
  }
}
