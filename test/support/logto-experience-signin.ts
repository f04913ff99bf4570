/**
 * Signs a user in to a real Logto with username and password, without a browser: the flow Logto's own sign-in UI
 * uses (its Experience API), ported from the shared script real-logto/signin. Then it exchanges the authorization
 * code and asks for each token shape with refresh_token grants, as Logto's SDKs do.
 *
 *   GET /oidc/auth → PUT /api/experience → POST /api/experience/verification/password
 *   → POST /api/experience/identification → POST /api/experience/submit → follow the redirects (consent is
 *   automatic for first-party apps) → POST /oidc/token (authorization_code, then refresh_token grants)
 */
import { createHash, randomBytes } from 'node:crypto';

import { CookieBrowser } from './cookie-browser';

/** Asked for besides the resource's scopes: the organization scope lets the refresh token reach organizations. */
const BASE_SCOPES = ['openid', 'offline_access', 'profile', 'urn:logto:scope:organizations'];
const MAX_REDIRECTS = 10;

export interface ExperienceSignInInput {
  /** Logto's base URL (issuer `${endpoint}/oidc`). */
  endpoint: string;
  /** A first-party SPA allowing `redirectUri`. */
  appId: string;
  redirectUri: string;
  username: string;
  password: string;
  /** The API resource indicator the resource tokens are for. */
  resource: string;
  /** Resource scopes to ask for. */
  scopes: readonly string[];
}

export interface SignedInUser {
  readonly userId: string;
  /** `aud` = the resource, no `organization_id`: a plain API token. */
  resourceToken(): Promise<string>;
  /** `aud` = the resource, `organization_id` = the organization: an organization-scoped API token. */
  organizationResourceToken(organizationId: string): Promise<string>;
  /** `aud` = `urn:logto:organization:<id>`: an organization token (organization template scopes). */
  organizationToken(organizationId: string): Promise<string>;
}

export async function signInThroughExperience(input: ExperienceSignInInput): Promise<SignedInUser> {
  const base = input.endpoint.replace(/\/+$/, '');
  const browser = new CookieBrowser(base);
  const verifier = base64url(randomBytes(32));
  const scope = [...BASE_SCOPES, ...input.scopes.filter((name) => !BASE_SCOPES.includes(name))].join(' ');
  const authorize = new URLSearchParams({
    client_id: input.appId,
    redirect_uri: input.redirectUri,
    response_type: 'code',
    scope,
    resource: input.resource,
    code_challenge: base64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
    state: base64url(randomBytes(8)),
    prompt: 'consent',
  });
  const callback = await authorizeThroughExperience(browser, `/oidc/auth?${authorize.toString()}`, input.redirectUri, input.username, input.password);
  const code = new URL(callback).searchParams.get('code');
  if (code === null) {
    throw new Error(`sign-in: redirected back without a code: ${callback}`);
  }

  const token = async (form: Record<string, string>): Promise<Record<string, unknown>> =>
    (await browser.expect('POST', '/oidc/token', [200], undefined, new URLSearchParams({ ...form, client_id: input.appId }))) as Record<string, unknown>;
  const first = await token({ grant_type: 'authorization_code', code, redirect_uri: input.redirectUri, code_verifier: verifier });
  const userId = subjectOf(first.id_token);
  // Logto rotates refresh tokens: each grant answers the one to use next.
  let refreshToken = String(first.refresh_token);
  const refresh = async (extra: Record<string, string>): Promise<string> => {
    const answer = await token({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
    refreshToken = typeof answer.refresh_token === 'string' ? answer.refresh_token : refreshToken;
    return String(answer.access_token);
  };
  return {
    userId,
    resourceToken: () => refresh({ resource: input.resource }),
    organizationResourceToken: (organizationId) => refresh({ resource: input.resource, organization_id: organizationId }),
    organizationToken: (organizationId) => refresh({ organization_id: organizationId }),
  };
}

/**
 * Opens an authorization request and signs the user in through the Experience API; the URL Logto redirects back to
 * (the redirect URI with `code` and `state`, or with `error`). For any app type, Traditional included.
 */
export async function signInAtAuthorizationEndpoint(endpoint: string, authorizeUrl: string, username: string, password: string): Promise<string> {
  const redirectUri = new URL(authorizeUrl).searchParams.get('redirect_uri');
  if (redirectUri === null) {
    throw new Error('sign-in: the authorization request has no redirect_uri');
  }
  return authorizeThroughExperience(new CookieBrowser(endpoint.replace(/\/+$/, '')), authorizeUrl, redirectUri, username, password);
}

async function authorizeThroughExperience(browser: CookieBrowser, authorizeUrl: string, redirectUri: string, username: string, password: string): Promise<string> {
  const start = await browser.call('GET', authorizeUrl);
  const startLocation = start.headers.get('location') ?? '';
  if (![302, 303].includes(start.status) || startLocation.includes('error=')) {
    throw new Error(`sign-in: GET /oidc/auth → ${start.status} ${startLocation}`);
  }
  await browser.expect('PUT', '/api/experience', [204], { interactionEvent: 'SignIn' });
  const verification = (await browser.expect('POST', '/api/experience/verification/password', [200], {
    identifier: { type: 'username', value: username },
    password,
  })) as { verificationId: string };
  await browser.expect('POST', '/api/experience/identification', [204], { verificationId: verification.verificationId });
  const submitted = (await browser.expect('POST', '/api/experience/submit', [200])) as { redirectTo: string };
  return followToRedirectUri(browser, submitted.redirectTo, redirectUri);
}

async function followToRedirectUri(browser: CookieBrowser, firstUrl: string, redirectUri: string): Promise<string> {
  let url = firstUrl;
  for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
    const response = await browser.call('GET', url);
    const location = response.headers.get('location');
    if (location === null) {
      throw new Error(`sign-in: GET ${url} → ${response.status} without a redirect (no authorization code)`);
    }
    const next = new URL(location, new URL(url, browser.base)).toString();
    if (next.startsWith(redirectUri)) {
      return next;
    }
    url = next;
  }
  throw new Error(`sign-in: no authorization code after ${MAX_REDIRECTS} redirects`);
}

function subjectOf(idToken: unknown): string {
  const payload = typeof idToken === 'string' ? idToken.split('.')[1] : undefined;
  const sub = payload === undefined ? undefined : (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
  if (typeof sub !== 'string') {
    throw new Error('sign-in: the code exchange answered no ID token with a subject');
  }
  return sub;
}

const base64url = (raw: Buffer): string => raw.toString('base64url');
