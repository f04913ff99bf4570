/**
 * Starts a private dev IdP (apps/dev-idp) for a test file: a child process speaking Logto's dialect, controlled
 * over IPC. Each call gets its own port and, by default, its own temp data dir (own signing key), so test files
 * can run in parallel.
 *
 *   const idp = await startDevIdp();
 *   const token = await idp.mintUserToken({ sub: 'alice', organizationId: orgId, scopes: ['tenant:read'] });
 *   ...
 *   await idp.stop();
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type {
  ControlReply,
  ControlRequest,
  ControlResults,
  ListeningEvent,
} from '../../apps/dev-idp/src/control/control-messages';
import type { FaultKind, FaultTarget } from '../../apps/dev-idp/src/http/faults';
import type { SentEmail } from '../../apps/dev-idp/src/management/email-connector';
import { CookieBrowser } from './cookie-browser';

export type { FaultKind, FaultTarget };

export const MANAGEMENT_API_RESOURCE = 'https://default.logto.app/api';
const DEFAULT_API_RESOURCE = process.env.LOGTO_API_RESOURCE ?? 'https://api.cameleer.local';

export interface StartDevIdpOptions {
  /** The product's API resource indicator (default: $LOGTO_API_RESOURCE or https://api.cameleer.local). */
  apiResource?: string;
  /** Reuse a data dir (signing key) across instances; default: a fresh temp dir, removed by stop(). */
  dataDir?: string;
  /** Optional dev IdP JSON config (resources, pre-registered apps). */
  configFile?: string;
  /** Extra environment of the dev IdP process (e.g. what the config file's `${NAME}` placeholders read). */
  env?: Record<string, string>;
}

export interface MintUserTokenInput {
  sub: string;
  /** Default: the instance's apiResource. */
  resource?: string;
  scopes: string[];
  /** Adds Logto's `organization_id` claim (organization-scoped API resource token). */
  organizationId?: string;
  expiresIn?: number;
}

export interface MintOrganizationTokenInput {
  sub: string;
  organizationId: string;
  scopes: string[];
}

export interface RegisterAppInput {
  clientId?: string;
  clientSecret?: string;
  /** Scopes the app may obtain per resource indicator; others requested are silently dropped (as Logto). */
  scopesByResource: Record<string, string[]>;
}

export interface ClientCredentialsInput {
  clientId: string;
  clientSecret: string;
  resource: string;
  /** Space-separated, as on the wire. */
  scope?: string;
  /**
   * Logto's `organization_id`: only for an application created through the Management API and added to the
   * organization (`TenantsIdp.machineApp`); others get 403 access_denied, as in Logto.
   */
  organizationId?: string;
}

export interface EdgeAppInput {
  /** Exact redirect URIs (Logto's `oidcClientMetadata.redirectUris`). */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  name?: string;
}

export interface SignInWithPasswordInput {
  /** The dev IdP's authorization URL with the request's parameters (client_id, redirect_uri, PKCE, …). */
  authorizeUrl: string;
  username: string;
  password: string;
}

export interface FaultOptions {
  /** `slow`: delay before handling; `timeoutAfterSuccess`: how long the finished response is held. Default 5000. */
  delayMs?: number;
  /** Default 'all' (Management API and /oidc/token). */
  target?: FaultTarget;
  /** Heal after this many affected requests (default: until changed). */
  times?: number;
  /** `error4xx`: the status answered (400–499, default 422). */
  status?: number;
}

export interface DevIdp {
  /** Base URL, e.g. http://127.0.0.1:40123 (Management API at `${endpoint}/api`). */
  readonly endpoint: string;
  /** `${endpoint}/oidc`, the `iss` of every token. */
  readonly issuer: string;
  readonly jwksUri: string;
  /** The signing key's ID (stable across restarts on the same dataDir). */
  readonly kid: string;
  readonly apiResource: string;
  readonly dataDir: string;
  mintUserToken(input: MintUserTokenInput): Promise<string>;
  mintOrganizationToken(input: MintOrganizationTokenInput): Promise<string>;
  registerApp(input: RegisterAppInput): Promise<{ clientId: string; clientSecret: string }>;
  /** A client_credentials token over real HTTP (HTTP Basic auth); throws with the error body on non-2xx. */
  clientCredentialsToken(input: ClientCredentialsInput): Promise<string>;
  setFault(fault: FaultKind, options?: FaultOptions): Promise<void>;
  /** What the dev IdP's email connector recorded (Logto would have sent it), oldest first; optionally to one address. */
  sentEmails(to?: string): Promise<SentEmail[]>;
  /** Without an email connector, Logto answers 501 `connector.not_found` to every message request. */
  setEmailConnector(enabled: boolean): Promise<void>;
  /**
   * A Logto "Traditional" web application created through the Management API, as `npm run logto:bootstrap` does:
   * a confidential client (client_secret_basic or the form body) with the authorization_code and refresh_token
   * grants; its secret is the `Default secret` of `GET /api/applications/:id/secrets`.
   */
  registerEdgeApp(input: EdgeAppInput): Promise<{ clientId: string; clientSecret: string }>;
  /**
   * Opens `authorizeUrl` and submits the sign-in page with plain HTTP (no browser), following redirects until the
   * one to the request's redirect_uri, which it returns (with `code` and `state`, or `error`). Consent is given
   * automatically, as Logto gives it to first-party apps. Throws when the page refuses the password.
   */
  signInWithPassword(input: SignInWithPasswordInput): Promise<string>;
  /**
   * Follows an RP-initiated logout (`end_session_endpoint?id_token_hint=…&post_logout_redirect_uri=…`) as a
   * browser does: Logto's page submits its form by itself. Returns where it redirects in the end.
   */
  endSession(endSessionUrl: string): Promise<string>;
  stop(): Promise<void>;
}

const RUN_SCRIPT = resolve(__dirname, '../../apps/dev-idp/bin/run.js');
// Generous: on a loaded 2-core machine the first start (transpiling the IdP, oidc-provider) can take many seconds.
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 3_000;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
type ControlCall = DistributiveOmit<ControlRequest, 'id'>;

export async function startDevIdp(options: StartDevIdpOptions = {}): Promise<DevIdp> {
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'dev-idp-')));
  const apiResource = options.apiResource ?? DEFAULT_API_RESOURCE;
  const args = ['--port', '0', '--data-dir', dataDir, '--api-resource', apiResource];
  if (options.configFile !== undefined) {
    args.push('--config', options.configFile);
  }

  const child = fork(RUN_SCRIPT, args, {
    // No inherited --inspect or Jest flags; the IdP is a plain Node process.
    execArgv: [],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const stderr = collectStderr(child);
  child.stdout?.resume();

  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  let listening: ListeningEvent;
  try {
    listening = await waitForListening(child, stderr);
  } catch (error: unknown) {
    child.kill('SIGKILL');
    process.removeListener('exit', killOnExit);
    if (ownsDataDir) {
      await rm(dataDir, { recursive: true, force: true });
    }
    throw error;
  }

  const call = createControlClient(child, stderr);
  let stopped: Promise<void> | undefined;
  let management: Promise<(method: string, path: string, body?: unknown) => Promise<unknown>> | undefined;
  /** Management API calls as an admin app registered over IPC (once per instance). */
  const managementCaller = (): Promise<(method: string, path: string, body?: unknown) => Promise<unknown>> =>
    (management ??= (async () => {
      const admin = (await call({ op: 'registerApp', scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } })) as ControlResults['registerApp'];
      const form = new URLSearchParams({ grant_type: 'client_credentials', resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
      const basic = Buffer.from(`${encodeURIComponent(admin.clientId)}:${encodeURIComponent(admin.clientSecret)}`).toString('base64');
      const answer = await fetch(`${listening.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      const { access_token: token } = (await answer.json()) as { access_token: string };
      return async (method: string, path: string, body?: unknown) => {
        const response = await fetch(`${listening.endpoint}/api${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await response.text();
        if (!response.ok) {
          throw new Error(`dev IdP Management API ${method} ${path} → ${response.status} ${text}`);
        }
        return text === '' ? undefined : (JSON.parse(text) as unknown);
      };
    })());

  return {
    endpoint: listening.endpoint,
    issuer: listening.issuer,
    jwksUri: listening.jwksUri,
    kid: listening.kid,
    apiResource,
    dataDir,

    async mintUserToken({ resource = apiResource, ...rest }) {
      const { token } = (await call({ op: 'mintUserToken', resource, ...rest })) as ControlResults['mintUserToken'];
      return token;
    },

    async mintOrganizationToken(input) {
      const { token } = (await call({ op: 'mintOrganizationToken', ...input })) as ControlResults['mintOrganizationToken'];
      return token;
    },

    async registerApp(input) {
      return (await call({ op: 'registerApp', ...input })) as ControlResults['registerApp'];
    },

    async clientCredentialsToken({ clientId, clientSecret, resource, scope, organizationId }) {
      const form = new URLSearchParams({ grant_type: 'client_credentials', resource });
      if (scope !== undefined) {
        form.set('scope', scope);
      }
      if (organizationId !== undefined) {
        form.set('organization_id', organizationId);
      }
      const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64');
      const response = await fetch(`${listening.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      const body = (await response.json()) as { access_token?: string };
      if (!response.ok || typeof body.access_token !== 'string') {
        throw new Error(`client_credentials failed (${response.status}): ${JSON.stringify(body)}`);
      }
      return body.access_token;
    },

    async setFault(kind, faultOptions = {}) {
      await call({ op: 'setFault', fault: { kind, ...faultOptions } });
    },

    async sentEmails(to) {
      const { emails } = (await call({ op: 'emails', ...(to === undefined ? {} : { to }) })) as ControlResults['emails'];
      return emails;
    },

    async setEmailConnector(enabled) {
      await call({ op: 'setEmailConnector', enabled });
    },

    async registerEdgeApp({ redirectUris, postLogoutRedirectUris, name = 'cameleer edge' }) {
      const management = await managementCaller();
      const created = (await management('POST', '/applications', {
        name,
        type: 'Traditional',
        oidcClientMetadata: { redirectUris, postLogoutRedirectUris },
      })) as { id: string };
      const [secret] = (await management('GET', `/applications/${created.id}/secrets`)) as { value: string }[];
      if (secret === undefined) {
        throw new Error('the dev IdP listed no secret for the new Traditional app');
      }
      return { clientId: created.id, clientSecret: secret.value };
    },

    signInWithPassword: (input) => signInWithPassword(input),
    endSession: (endSessionUrl) => endSession(endSessionUrl),

    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
          await exited;
          clearTimeout(timer);
        }
        process.removeListener('exit', killOnExit);
        if (ownsDataDir) {
          await rm(dataDir, { recursive: true, force: true });
        }
      })();
      return stopped;
    },
  };
}

const MAX_REDIRECTS = 10;

async function signInWithPassword({ authorizeUrl, username, password }: SignInWithPasswordInput): Promise<string> {
  const redirectUri = new URL(authorizeUrl).searchParams.get('redirect_uri');
  if (redirectUri === null) {
    throw new Error('signInWithPassword: the authorize URL has no redirect_uri');
  }
  const browser = new CookieBrowser(new URL(authorizeUrl).origin);
  let response = await browser.call('GET', authorizeUrl);
  let url = authorizeUrl;
  let submitted = false;
  for (let hop = 0; hop < MAX_REDIRECTS; hop++) {
    const location = response.headers.get('location');
    if (location !== null) {
      const next = new URL(location, url).toString();
      if (next === redirectUri || next.startsWith(`${redirectUri}?`) || next.startsWith(`${redirectUri}#`)) {
        return next;
      }
      url = next;
      response = await browser.call('GET', next);
      continue;
    }
    const html = await response.text();
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
    if (response.status !== 200 || action === undefined) {
      throw new Error(`signInWithPassword: GET ${url} → ${response.status} ${html.slice(0, 300)}`);
    }
    if (submitted) {
      throw new Error(`signInWithPassword: the sign-in page refused ${username}: ${/role="alert"[^>]*>([^<]*)/.exec(html)?.[1] ?? 'no message'}`);
    }
    submitted = true;
    // The page escapes what it writes into attributes as numeric character references.
    url = new URL(action.replace(/&#(\d+);/g, (_entity, code: string) => String.fromCharCode(Number(code))), url).toString();
    response = await browser.call('POST', url, undefined, new URLSearchParams({ username, password }));
  }
  throw new Error(`signInWithPassword: no redirect to ${redirectUri} after ${MAX_REDIRECTS} steps`);
}

/** An RP-initiated logout followed as a browser follows Logto's self-submitting page; where it redirects in the end. */
export async function endSession(endSessionUrl: string): Promise<string> {
  const browser = new CookieBrowser(new URL(endSessionUrl).origin);
  const page = await browser.call('GET', endSessionUrl);
  const html = await page.text();
  const form = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (page.status !== 200 || form === null) {
    throw new Error(`endSession: GET ${endSessionUrl} → ${page.status} ${html.slice(0, 300)}`);
  }
  const fields = new URLSearchParams({ logout: 'yes' });
  for (const [, name, value] of (form[2] ?? '').matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\/?>/g)) {
    fields.set(name!, value!);
  }
  const confirmed = await browser.call('POST', new URL(form[1]!, endSessionUrl).toString(), undefined, fields);
  const location = confirmed.headers.get('location');
  if (location === null) {
    throw new Error(`endSession: the confirmation answered ${confirmed.status} without a redirect`);
  }
  return new URL(location, endSessionUrl).toString();
}

function waitForListening(child: ChildProcess, stderr: () => string): Promise<ListeningEvent> {
  return new Promise((resolveStart, rejectStart) => {
    const fail = (reason: string): void => {
      cleanup();
      rejectStart(new Error(`dev IdP did not start: ${reason}\n${stderr()}`));
    };
    const onMessage = (message: unknown): void => {
      if (isListeningEvent(message)) {
        cleanup();
        resolveStart(message);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      fail(`exited (code ${code}, signal ${signal})`);
    const onError = (error: Error): void => fail(error.message);
    const timer = setTimeout(() => fail(`no "listening" event within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit).off('error', onError);
    };
    child.on('message', onMessage).once('exit', onExit).once('error', onError);
  });
}

/** Request/response over the IPC channel, matched by id; pending calls fail if the IdP exits. */
function createControlClient(child: ChildProcess, stderr: () => string): (request: ControlCall) => Promise<unknown> {
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();

  child.on('message', (message: unknown) => {
    if (!isControlReply(message)) {
      return;
    }
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.ok) {
      waiter?.resolve(message.result);
    } else {
      waiter?.reject(new Error(`dev IdP: ${message.error}`));
    }
  });
  child.once('exit', () => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`dev IdP exited\n${stderr()}`));
    }
    pending.clear();
  });

  return (request) =>
    new Promise((resolveCall, rejectCall) => {
      if (!child.connected) {
        rejectCall(new Error('dev IdP is not running'));
        return;
      }
      const id = nextId++;
      pending.set(id, { resolve: resolveCall, reject: rejectCall });
      child.send({ ...request, id }, (error) => {
        if (error) {
          pending.delete(id);
          rejectCall(error);
        }
      });
    });
}

/** Keeps the last few KB of the child's stderr for error messages. */
function collectStderr(child: ChildProcess): () => string {
  let text = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-8_000);
  });
  return () => text;
}

const isListeningEvent = (message: unknown): message is ListeningEvent =>
  typeof message === 'object' && message !== null && (message as { event?: unknown }).event === 'listening';

const isControlReply = (message: unknown): message is ControlReply =>
  typeof message === 'object' && message !== null && typeof (message as { id?: unknown }).id === 'number' && 'ok' in message;

/**
 * The dev IdP's current signing key (a private JWK with its kid), read from its data dir (`signing-keys.json`,
 * written by apps/dev-idp/src/keys/signing-key-store.ts): for tests that sign what only the key holder could.
 */
export function currentSigningJwk(dataDir: string): { kid: string } & Record<string, unknown> {
  const keys = JSON.parse(readFileSync(join(dataDir, 'signing-keys.json'), 'utf8')) as { status: string; jwk: { kid: string } & Record<string, unknown> }[];
  const current = keys.find((key) => key.status === 'Current');
  if (current === undefined) {
    throw new Error(`no Current signing key in ${dataDir}/signing-keys.json`);
  }
  return current.jwk;
}
