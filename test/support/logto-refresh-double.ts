/**
 * A DOUBLE of Logto's token endpoint for the edge sessions, in front of the real dev IdP: it answers discovery (the
 * dev IdP's issuer, with the endpoints Logto announces), `grant_type=authorization_code` for codes a test issued
 * (PKCE S256 checked; the ID token signed with the dev IdP's own key), and `grant_type=refresh_token` with
 * `organization_id` + `resource` (rotating each refresh token, refusing a reused one, refusing non-members); it
 * forwards everything else (JWKS, Management API) to the dev IdP unchanged. The app reaches it as
 * LOGTO_INTERNAL_URL, the way a private network reaches Logto. The access tokens it hands out are real ones, signed
 * by the dev IdP. Used only where the dev IdP's own flow is not what a test is about (races, outages).
 */
import { createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { currentSigningJwk, type DevIdp } from './dev-idp';

export interface IssueCodeInput {
  readonly subject: string;
  /** The nonce of the authorization request (the test reads it from the redirect to Logto). */
  readonly nonce: string;
  readonly codeChallenge: string;
  /** The edge app id: the ID token's aud. */
  readonly clientId: string;
  /** Claims to override in the ID token (attacks: another aud, nonce, iss, an expired exp). */
  readonly idTokenClaims?: Record<string, unknown>;
  /** Header parameters to override in the ID token (another alg, kid). */
  readonly idTokenHeader?: Record<string, unknown>;
}

export interface RefreshDouble {
  /** Base URL (set it as LOGTO_INTERNAL_URL). */
  readonly url: string;
  /** An authorization code, as Logto's sign-in would have sent it to the callback. */
  issueCode(input: IssueCodeInput): string;
  /** A fresh refresh token for `subject`, as a code exchange would have returned. */
  issueRefreshToken(subject: string): string;
  /** Logto forgets every refresh token of `subject` (its grants were revoked). */
  revokeRefreshTokens(subject: string): void;
  /** Organizations `subject` is a member of (refresh grants for others are refused with access_denied). */
  setMemberships(subject: string, organizationIds: string[]): void;
  /** `down`: every grant answers 503; `hang`: never answers; `up`: normal. */
  setMode(mode: 'up' | 'down' | 'hang'): void;
  /** Delay before answering a refresh grant (makes races between replicas real). */
  setDelay(ms: number): void;
  /** Refresh grants answered, and how many presented a refresh token that was already spent. */
  readonly stats: { granted: number; reused: number; refused: number };
  stop(): Promise<void>;
}

export async function startRefreshDouble(idp: DevIdp): Promise<RefreshDouble> {
  const live = new Map<string, string>();
  const spent = new Set<string>();
  const memberships = new Map<string, Set<string>>();
  const stats = { granted: 0, reused: 0, refused: 0 };
  let mode: 'up' | 'down' | 'hang' = 'up';
  let delayMs = 0;
  const hanging = new Set<ServerResponse>();

  const json = (response: ServerResponse, status: number, body: unknown): void => {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  };

  const codes = new Map<string, IssueCodeInput>();
  const jwk = currentSigningJwk(idp.dataDir);
  const signingKey = createPrivateKey({ key: jwk as never, format: 'jwk' });

  const exchange = async (form: URLSearchParams, response: ServerResponse): Promise<void> => {
    const code = codes.get(form.get('code') ?? '');
    codes.delete(form.get('code') ?? '');
    const verifier = form.get('code_verifier') ?? '';
    if (code === undefined || createHash('sha256').update(verifier).digest('base64url') !== code.codeChallenge) {
      json(response, 400, { error: 'invalid_grant', error_description: 'grant request is invalid' });
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const idToken = await new SignJWT({ nonce: code.nonce, ...code.idTokenClaims })
      .setProtectedHeader({ alg: 'ES384', kid: jwk.kid, ...code.idTokenHeader })
      .setIssuer((code.idTokenClaims?.iss as string | undefined) ?? idp.issuer)
      .setAudience((code.idTokenClaims?.aud as string | undefined) ?? code.clientId)
      .setSubject(code.subject)
      .setIssuedAt(now)
      .setExpirationTime((code.idTokenClaims?.exp as number | undefined) ?? now + 3600)
      .sign(signingKey);
    const refreshToken = randomBytes(24).toString('base64url');
    live.set(refreshToken, code.subject);
    json(response, 200, { access_token: randomBytes(24).toString('base64url'), token_type: 'Bearer', expires_in: 3600, refresh_token: refreshToken, id_token: idToken, scope: 'openid offline_access profile' });
  };

  const refresh = async (form: URLSearchParams, response: ServerResponse): Promise<void> => {
    if (mode === 'hang') {
      hanging.add(response);
      return;
    }
    if (mode === 'down') {
      json(response, 503, { error: 'server_error' });
      return;
    }
    await sleep(delayMs);
    const presented = form.get('refresh_token') ?? '';
    const subject = live.get(presented);
    if (subject === undefined) {
      if (spent.has(presented)) {
        stats.reused++;
      }
      stats.refused++;
      json(response, 400, { error: 'invalid_grant', error_description: 'grant request is invalid' });
      return;
    }
    const organizationId = form.get('organization_id') ?? '';
    if (!(memberships.get(subject)?.has(organizationId) ?? false)) {
      stats.refused++;
      json(response, 403, { error: 'access_denied', error_description: 'user is not a member of the organization' });
      return;
    }
    live.delete(presented);
    spent.add(presented);
    const rotated = randomBytes(24).toString('base64url');
    live.set(rotated, subject);
    stats.granted++;
    const accessToken = await idp.mintUserToken({ sub: subject, organizationId, scopes: ['tenant:read'], resource: form.get('resource') ?? undefined });
    json(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 3600, refresh_token: rotated, scope: 'tenant:read' });
  };

  const forward = async (request: IncomingMessage, body: Buffer, response: ServerResponse): Promise<void> => {
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name, value]) => typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))) as Record<string, string>;
    const upstream = await fetch(`${idp.endpoint}${request.url ?? '/'}`, { method: request.method, headers, body: body.length > 0 ? body : undefined, redirect: 'manual' });
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (!['content-encoding', 'content-length', 'transfer-encoding', 'connection'].includes(name)) {
        out[name] = value;
      }
    });
    response.writeHead(upstream.status, out).end(Buffer.from(await upstream.arrayBuffer()));
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = (request.url ?? '/').split('?')[0];
      const handle = async (): Promise<void> => {
        if (path === '/oidc/.well-known/openid-configuration') {
          json(response, 200, {
            issuer: idp.issuer,
            authorization_endpoint: `${idp.issuer}/auth`,
            token_endpoint: `${idp.issuer}/token`,
            end_session_endpoint: `${idp.issuer}/session/end`,
            jwks_uri: `${idp.issuer}/jwks`,
          });
          return;
        }
        if (path === '/oidc/token' && request.method === 'POST') {
          const form = new URLSearchParams(body.toString('utf8'));
          if (form.get('grant_type') === 'refresh_token') {
            await refresh(form, response);
            return;
          }
          if (form.get('grant_type') === 'authorization_code' && mode === 'up') {
            await exchange(form, response);
            return;
          }
        }
        await forward(request, body, response);
      };
      handle().catch(() => {
        if (!response.headersSent) {
          json(response, 502, { error: 'server_error' });
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    issueCode: (input) => {
      const code = randomBytes(24).toString('base64url');
      codes.set(code, input);
      return code;
    },
    issueRefreshToken: (subject) => {
      const token = randomBytes(24).toString('base64url');
      live.set(token, subject);
      return token;
    },
    revokeRefreshTokens: (subject) => {
      for (const [token, owner] of live) {
        if (owner === subject) {
          live.delete(token);
        }
      }
    },
    setMemberships: (subject, organizationIds) => memberships.set(subject, new Set(organizationIds)),
    setMode: (next) => {
      mode = next;
      if (next !== 'hang') {
        hanging.forEach((response) => response.destroy());
        hanging.clear();
      }
    },
    setDelay: (ms) => {
      delayMs = ms;
    },
    stats,
    stop: async () => {
      hanging.forEach((response) => response.destroy());
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
