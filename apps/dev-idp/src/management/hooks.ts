import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * Logto's webhooks, as core 1.42 has them: a hook (packages/schemas tables/hooks.sql: id, name, events, config
 * {url, headers?, retries?}, signingKey, enabled, createdAt) and the delivery of data-hook events to every enabled
 * hook registered for the event.
 */
export interface Hook {
  tenantId: string;
  id: string;
  name: string;
  /** Deprecated single event (Logto keeps it for old hooks); always null here. */
  event: null;
  events: string[];
  config: { url: string; headers?: Record<string, string>; retries?: number };
  signingKey: string;
  enabled: boolean;
  createdAt: number;
}

/** The data-hook events Logto 1.42 knows (packages/schemas/src/foundations/jsonb-types/hooks.ts), plus its interaction and exception events. */
export const LOGTO_HOOK_EVENTS: ReadonlySet<string> = new Set([
  'PostRegister',
  'PostSignIn',
  'PostSignInAdaptiveMfaTriggered',
  'PostResetPassword',
  'User.Created',
  'User.Deleted',
  'User.Data.Updated',
  'User.SuspensionStatus.Updated',
  'Role.Created',
  'Role.Deleted',
  'Role.Data.Updated',
  'Role.Scopes.Updated',
  'Scope.Created',
  'Scope.Deleted',
  'Scope.Data.Updated',
  'Organization.Created',
  'Organization.Deleted',
  'Organization.Data.Updated',
  'Organization.Membership.Updated',
  'OrganizationRole.Created',
  'OrganizationRole.Deleted',
  'OrganizationRole.Data.Updated',
  'OrganizationRole.Scopes.Updated',
  'OrganizationScope.Created',
  'OrganizationScope.Deleted',
  'OrganizationScope.Data.Updated',
  'Identifier.Lockout',
  'Grant.LimitExceeded',
]);

/**
 * Management routes whose successful answer fires a data hook, with the response body as `data`: Logto's
 * managementApiHooksRegistration (those of its routes the dev IdP has). User.Deleted and
 * Organization.Membership.Updated are not here: their routes append their context themselves, as in Logto.
 */
export const MANAGEMENT_API_HOOKS_REGISTRATION: Readonly<Record<string, string>> = {
  'POST /users': 'User.Created',
  'PATCH /users/:userId/is-suspended': 'User.SuspensionStatus.Updated',
  'POST /organizations': 'Organization.Created',
  'DELETE /organizations/:id': 'Organization.Deleted',
  'PATCH /organizations/:id': 'Organization.Data.Updated',
  'POST /organization-roles': 'OrganizationRole.Created',
  'DELETE /organization-roles/:id': 'OrganizationRole.Deleted',
  'PATCH /organization-roles/:id': 'OrganizationRole.Data.Updated',
};

/** One data-hook context a route appended (Logto's appendDataHookContext): the event and its own fields. */
export interface DataHookContext {
  event: string;
  [field: string]: unknown;
}

/** Logto caps each membership delta array at 5000 ids and omits empty ones (libraries/hook/utils.ts truncateMembershipDelta). */
export function membershipDelta(delta: { addedUserIds?: readonly string[]; removedUserIds?: readonly string[] }): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(delta)) {
    if (value !== undefined && value.length > 0) {
      result[key] = value.slice(0, 5000);
    }
  }
  return result;
}

/** Logto's signature (core utils/sign.ts): hex HMAC-SHA256 of JSON.stringify(payload) under the hook's signing key. */
function signPayload(signingKey: string, payloadText: string): string {
  return createHmac('sha256', signingKey).update(payloadText).digest('hex');
}

/**
 * Sends each context to every enabled hook registered for its event, as core libraries/hook/index.ts buildWebhooks
 * and sendWebhook do: payload `{ event, createdAt, userAgent, ip, ...context, hookId }`, headers user-agent
 * `Logto (https://logto.io/)`, the hook's own headers, `logto-signature-sha-256`; a 10 s timeout. Fire-and-forget
 * after the management answer, never retried (Logto's ky call names retries, but ky never retries a POST).
 */
export function deliverHooks(hooks: Iterable<Hook>, contexts: readonly DataHookContext[], metadata: { userAgent?: string; ip: string }): void {
  const enabled = [...hooks].filter((hook) => hook.enabled);
  for (const { event, ...rest } of contexts) {
    for (const hook of enabled.filter((candidate) => candidate.events.includes(event))) {
      const payload = { event, createdAt: new Date().toISOString(), ...metadata, ...rest, hookId: hook.id };
      const text = JSON.stringify(payload);
      post(hook.config.url, {
        'user-agent': 'Logto (https://logto.io/)',
        ...hook.config.headers,
        'content-type': 'application/json',
        'logto-signature-sha-256': signPayload(hook.signingKey, text),
      }, text, (error) => {
        process.stderr.write(`dev-idp: hook ${hook.id} (${event}) to ${hook.config.url} failed: ${error.message}\n`);
      });
    }
  }
}

/**
 * One POST on a connection of its own (no keep-alive agent): a dev IdP holding an idle connection to the API would
 * keep the API's graceful close waiting for its keep-alive timeout. The answer is read and dropped.
 */
function post(target: string, headers: Record<string, string>, body: string, onError: (error: Error) => void): void {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    onError(new Error('not a URL'));
    return;
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const outgoing = send(url, { method: 'POST', agent: false, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: 10_000 }, (response) => {
    response.resume();
  });
  outgoing.on('timeout', () => outgoing.destroy(new Error('timed out after 10 s')));
  outgoing.on('error', onError);
  outgoing.end(body);
}
