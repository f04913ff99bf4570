import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { JWTPayload, jwtVerify } from 'jose';
import { LogtoAuthConfig, logtoAuthConfig, LogtoJwks } from '@app/security';
import { EdgeSessionsConfig, edgeSessionsConfig } from './edge-sessions.config';
import { EdgeSessionError } from './edge-sessions.errors';

const CALL_TIMEOUT_MS = 5_000;
/** After a failed discovery, the next sign-in tries again; a good document is kept for this long. */
const DISCOVERY_TTL_MS = 3_600_000;
// The API scopes too: Logto puts into an organization token only the resource scopes the sign-in asked for.
const SCOPES = 'openid offline_access profile urn:logto:scope:organizations urn:logto:scope:organization_roles tenant:read tenant:admin';

interface Discovery {
  readonly authorizationEndpoint: string;
  /** As this service calls it (through LOGTO_INTERNAL_URL when set). */
  readonly tokenEndpoint: string;
  readonly endSessionEndpoint: string;
}

/** What the code exchange yields: the tokens a session keeps. */
export interface SignInTokens {
  readonly subject: string;
  readonly refreshToken: string;
  readonly idToken: string;
}

export interface OrganizationTokenGrant {
  readonly accessToken: string;
  readonly expiresAt: Date;
  /** Logto's rotated refresh token; undefined when it kept the old one. */
  readonly refreshToken?: string;
}

/** A random value for state, nonce and PKCE: 256 bits, base64url. */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/**
 * The edge application's calls to Logto as an OpenID Connect confidential client: endpoints from discovery, the
 * authorization request (code + PKCE S256), the code exchange and the ID token's validation (signature through the
 * one LogtoJwks, the algorithm allowlist, iss, aud, exp, nonce), and the refresh-token grant for an organization.
 * Every call is bounded by a timeout; Logto unreachable or answering nonsense is LOGTO_UNAVAILABLE.
 */
@Injectable()
export class LogtoEdgeClient {
  private discovery?: { readonly value: Discovery; readonly at: number };
  private discovering?: Promise<Discovery>;

  constructor(
    @Inject(edgeSessionsConfig.KEY) private readonly config: EdgeSessionsConfig,
    @Inject(logtoAuthConfig.KEY) private readonly logto: LogtoAuthConfig,
    private readonly jwks: LogtoJwks,
  ) {}

  get redirectUri(): string {
    return `${this.config.publicAuthOrigin ?? ''}/api/auth/callback`;
  }

  get postLogoutRedirectUri(): string {
    return `${this.config.publicAuthOrigin ?? ''}/api/auth/signed-out`;
  }

  async authorizationUrl(input: { state: string; nonce: string; codeVerifier: string }): Promise<string> {
    const { authorizationEndpoint } = await this.endpoints();
    const url = new URL(authorizationEndpoint);
    url.search = new URLSearchParams({
      client_id: this.clientId(),
      response_type: 'code',
      redirect_uri: this.redirectUri,
      scope: SCOPES,
      resource: this.resource(),
      state: input.state,
      nonce: input.nonce,
      code_challenge: pkceChallenge(input.codeVerifier),
      code_challenge_method: 'S256',
      // Logto issues a refresh token (offline_access) only on a consented grant.
      prompt: 'consent',
    }).toString();
    return url.toString();
  }

  async endSessionUrl(idToken: string | undefined): Promise<string> {
    const { endSessionEndpoint } = await this.endpoints();
    const url = new URL(endSessionEndpoint);
    const params = new URLSearchParams({ client_id: this.clientId(), post_logout_redirect_uri: this.postLogoutRedirectUri });
    if (idToken !== undefined) {
      params.set('id_token_hint', idToken);
    }
    url.search = params.toString();
    return url.toString();
  }

  /** Trades the callback's code for tokens and validates the ID token against `nonce`. */
  async exchangeCode(input: { code: string; codeVerifier: string; nonce: string }): Promise<SignInTokens> {
    const body = await this.tokenRequest({ grant_type: 'authorization_code', code: input.code, redirect_uri: this.redirectUri, code_verifier: input.codeVerifier });
    if (body.ok === false) {
      // A code that is used, expired or not this client's: the sign-in cannot complete; start again.
      throw new EdgeSessionError('SIGN_IN_INVALID', 'Logto did not accept the sign-in code: sign in again.');
    }
    const { refresh_token: refreshToken, id_token: idToken } = body.json;
    if (typeof refreshToken !== 'string' || typeof idToken !== 'string') {
      throw unavailable('Logto answered the code exchange without a refresh token and an ID token.');
    }
    const subject = await this.validateIdToken(idToken, input.nonce);
    return { subject, refreshToken, idToken };
  }

  /** Logto's refresh-token grant for an access token to LOGTO_API_RESOURCE scoped to the organization. */
  async organizationToken(refreshToken: string, organizationId: string): Promise<OrganizationTokenGrant> {
    const body = await this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, organization_id: organizationId, resource: this.resource() });
    if (body.ok === false) {
      if (body.error === 'invalid_grant') {
        throw new EdgeSessionError('SESSION_ENDED', 'The session has ended: sign in again.');
      }
      // access_denied / invalid_target: Logto will not scope a token to an organization the user is not in.
      throw new EdgeSessionError('NOT_A_MEMBER', 'You are not a member of this tenant.');
    }
    const { access_token: accessToken, expires_in: expiresIn, refresh_token: rotated } = body.json;
    if (typeof accessToken !== 'string' || typeof expiresIn !== 'number' || !(expiresIn > 0) || (rotated !== undefined && typeof rotated !== 'string')) {
      throw unavailable('Logto answered the refresh-token grant without a usable access token.');
    }
    return { accessToken, expiresAt: new Date(Date.now() + expiresIn * 1000), refreshToken: rotated };
  }

  private async validateIdToken(idToken: string, nonce: string): Promise<string> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(idToken, this.jwks.resolveKey, {
        algorithms: [...this.logto.algorithms],
        issuer: this.logto.issuer,
        audience: this.clientId(),
        requiredClaims: ['exp', 'iat', 'sub', 'nonce'],
        clockTolerance: this.logto.clockToleranceSeconds,
      }));
    } catch {
      throw new EdgeSessionError('SIGN_IN_INVALID', 'The ID token from Logto did not verify: sign in again.');
    }
    if (payload.nonce !== nonce || typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 255) {
      throw new EdgeSessionError('SIGN_IN_INVALID', 'The ID token from Logto is not for this sign-in: sign in again.');
    }
    return payload.sub;
  }

  private async tokenRequest(
    params: Record<string, string>,
  ): Promise<{ ok: true; json: Record<string, unknown> } | { ok: false; error: string | undefined }> {
    const { tokenEndpoint } = await this.endpoints();
    const credentials = Buffer.from(`${encodeURIComponent(this.clientId())}:${encodeURIComponent(this.config.edgeAppSecret ?? '')}`).toString('base64');
    let response: Response;
    let json: unknown;
    try {
      response = await fetch(tokenEndpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${credentials}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(params).toString(),
        signal: AbortSignal.timeout(CALL_TIMEOUT_MS),
        redirect: 'error',
      });
      json = await response.json().catch(() => undefined);
    } catch {
      throw unavailable('Logto could not be reached; try again shortly.');
    }
    const body = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : undefined;
    if (response.ok && body !== undefined) {
      return { ok: true, json: body };
    }
    // A refusal of the grant (RFC 6749 §5.2) is Logto's word; a 5xx, a 401 for our own credentials or a body that is
    // no OAuth error means Logto (or its configuration) is not usable now: the session is kept.
    if ((response.status === 400 || response.status === 403) && typeof body?.error === 'string') {
      return { ok: false, error: body.error };
    }
    throw unavailable(`Logto answered the token request with HTTP ${response.status}; try again shortly.`);
  }

  private async endpoints(): Promise<Discovery> {
    if (this.discovery !== undefined && Date.now() - this.discovery.at < DISCOVERY_TTL_MS) {
      return this.discovery.value;
    }
    this.discovering ??= this.discover().finally(() => {
      this.discovering = undefined;
    });
    return this.discovering;
  }

  private async discover(): Promise<Discovery> {
    const { issuer, jwksUri } = this.logto;
    if (issuer === undefined || jwksUri === undefined || !this.config.enabled) {
      throw new EdgeSessionError('SIGN_IN_DISABLED', 'Browser sign-in is not configured here.');
    }
    // Server-side calls go where the JWKS is fetched from (LOGTO_INTERNAL_URL when set); the browser's to the issuer.
    const internalIssuer = jwksUri.replace(/\/jwks$/, '');
    let document: Record<string, unknown>;
    try {
      const response = await fetch(`${internalIssuer}/.well-known/openid-configuration`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(CALL_TIMEOUT_MS), redirect: 'error' });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      document = (await response.json()) as Record<string, unknown>;
    } catch {
      throw unavailable('Logto could not be reached; try again shortly.');
    }
    const { issuer: announced, authorization_endpoint: authorize, token_endpoint: token, end_session_endpoint: endSession } = document;
    if (announced !== issuer || !isHttpUrl(authorize) || !isHttpUrl(token) || !isHttpUrl(endSession)) {
      throw unavailable("Logto's discovery document does not describe this issuer.");
    }
    // oidc-provider (Logto's too) writes its endpoints from the host it was asked on: asked at LOGTO_INTERNAL_URL, it
    // names internal addresses. The browser goes to the issuer's host, the server to the internal one.
    const value: Discovery = {
      authorizationEndpoint: rebased(authorize, internalIssuer, issuer),
      tokenEndpoint: rebased(rebased(token, internalIssuer, issuer), issuer, internalIssuer),
      endSessionEndpoint: rebased(endSession, internalIssuer, issuer),
    };
    this.discovery = { value, at: Date.now() };
    return value;
  }

  private clientId(): string {
    return this.config.edgeAppId ?? '';
  }

  private resource(): string {
    return this.logto.audience ?? '';
  }
}

function isHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && /^https?:\/\/[^\s]+$/.test(value);
}

function unavailable(detail: string): EdgeSessionError {
  return new EdgeSessionError('LOGTO_UNAVAILABLE', detail, { headers: { 'retry-after': '5' } });
}

/** `url` moved from under `from` to under `to` (the same path); anything else as it is. */
function rebased(url: string, from: string, to: string): string {
  return url.startsWith(`${from}/`) ? `${to}${url.slice(from.length)}` : url;
}
