import type { IncomingMessage } from 'node:http';

import type { AccessState } from './access-state';
import { addApplicationRoutes } from './applications.routes';
import type { EmailConnector } from './email-connector';
import { createManagementAuth } from './management-auth';
import type { ManagementState } from './management-state';
import { addOrganizationApplicationRoutes } from './organization-applications.routes';
import { addOrganizationInvitationRoutes } from './organization-invitations.routes';
import { addOrganizationRoleRoutes } from './organization-roles.routes';
import { addOrganizationUserRoleRoutes } from './organization-user-roles.routes';
import { addOrganizationUserRoutes } from './organization-users.routes';
import { addOrganizationRoutes } from './organizations.routes';
import { type DataHookContext, deliverHooks, type Hook, MANAGEMENT_API_HOOKS_REGISTRATION } from './hooks';
import { addHookRoutes } from './hooks.routes';
import { invalidInput, RequestError } from './request-error';
import { addResourceRoutes } from './resources.routes';
import { addRoleRoutes } from './roles.routes';
import { type JsonResponse, RouteTable } from './route-table';
import { addSigningKeyRoutes, type SigningKeyControl } from './signing-keys.routes';
import { addUserRoutes } from './users.routes';

const MAX_BODY_BYTES = 1024 * 1024;

export interface ManagementApiOptions {
  issuer: string;
  /** The signing keys (Management API tokens are verified against their public halves) and their rotation. */
  keys: SigningKeyControl;
  /** Organizations and their members; shared with the token endpoint (organization-scoped M2M tokens). */
  state: ManagementState;
  /** Global roles and applications; applications are registered with the token endpoint for `client_credentials`. */
  access: AccessState;
  /** Where invitation messages go (Logto's email connector). */
  email: EmailConnector;
  /** Ends the user's sessions and stored tokens (Logto's `signOutUser`): at a suspension and a deletion. */
  signOutUser: (userId: string) => void;
  /** Called after every request that changed something (it answered 2xx to a method other than GET or HEAD). */
  onChange?: () => void;
}

/** Handles `/api/...` requests: Logto's Management API subset (organizations, users, resources, roles, applications), in memory. */
export type ManagementApi = (request: IncomingMessage, url: URL) => Promise<JsonResponse>;

export function createManagementApi({ issuer, keys, state, access, email, signOutUser, onChange }: ManagementApiOptions): ManagementApi {
  const authenticate = createManagementAuth(issuer, () => keys.signingKeys);
  const routes = new RouteTable();
  addOrganizationRoutes(routes, state);
  addUserRoutes(routes, state, signOutUser);
  addOrganizationUserRoutes(routes, state);
  addOrganizationUserRoleRoutes(routes, state);
  addOrganizationInvitationRoutes(routes, state, email);
  addOrganizationRoleRoutes(routes, state);
  addOrganizationApplicationRoutes(routes, state, access);
  addResourceRoutes(routes, state);
  addRoleRoutes(routes, access);
  addApplicationRoutes(routes, access);
  addSigningKeyRoutes(routes, keys);
  addHookRoutes(routes, state);

  return async (request, url) => {
    const method = request.method ?? 'GET';
    const path = url.pathname.slice('/api'.length);
    try {
      // Logto's health check: public, no body.
      if (path === '/status' && (method === 'GET' || method === 'HEAD')) {
        return { status: 204 };
      }
      await authenticate(request.headers.authorization);
      const matched = routes.match(method, path);
      if (matched === undefined) {
        return { status: 404, body: { code: 'guard.invalid_input', message: 'Not Found' } };
      }
      if (matched === 'method-not-allowed') {
        return { status: 405, body: { code: 'guard.invalid_input', message: 'Method Not Allowed' } };
      }
      const { handler, pattern, params } = matched;
      const response = await handler({
        method,
        url,
        body: await readJsonBody(request),
        param: (name) => {
          const value = params[name];
          if (value === undefined) {
            throw new Error(`Route has no parameter "${name}"`);
          }
          return value;
        },
      });
      if (method !== 'GET' && method !== 'HEAD' && response.status < 300) {
        onChange?.();
      }
      if (response.status < 300) {
        sendDataHooks(state.hooks.values(), request, url, method, pattern, params, response);
      }
      const { hookContexts: _sent, ...answer } = response;
      return answer;
    } catch (error: unknown) {
      if (error instanceof RequestError) {
        return { status: error.status, body: error.toBody() };
      }
      process.stderr.write(`dev-idp: ${method} ${url.pathname} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      return { status: 500, body: { message: 'Internal server error.' } };
    }
  };
}

/**
 * After a successful answer, Logto's koaManagementApiHooks: the route's own contexts, plus the registered event of
 * `METHOD pattern` (managementApiHooksRegistration) with the answer as `data`, each with the request's management
 * context (utils.ts buildManagementApiContext: path, method, status, params, matchedRoute), sent to the hooks.
 */
function sendDataHooks(
  hooks: Iterable<Hook>,
  request: IncomingMessage,
  url: URL,
  method: string,
  pattern: string,
  params: Record<string, string>,
  response: JsonResponse & { hookContexts?: DataHookContext[] },
): void {
  const apiContext = { path: url.pathname, method, status: response.status, params, matchedRoute: `/api${pattern}` };
  const contexts: DataHookContext[] = (response.hookContexts ?? []).map((context) => ({ ...apiContext, ...context }));
  const registered = MANAGEMENT_API_HOOKS_REGISTRATION[`${method} ${pattern}`];
  if (registered !== undefined) {
    contexts.push({ event: registered, ...apiContext, data: response.body });
  }
  if (contexts.length > 0) {
    deliverHooks(hooks, contexts, { userAgent: request.headers['user-agent'], ip: request.socket.remoteAddress ?? '' });
  }
}

async function readJsonBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      throw new RequestError(413, 'guard.invalid_input', 'Request body too large.');
    }
    chunks.push(chunk);
  }
  if (size === 0) {
    return undefined;
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw invalidInput('The body is not valid JSON');
  }
}
