import { generateSecret, generateStandardId } from '../ids';
import { type Hook, LOGTO_HOOK_EVENTS } from './hooks';
import { type Body, optionalBoolean, optionalObject, optionalString, requireBody } from './input-guards';
import { type ManagementState, TENANT_ID } from './management-state';
import { invalidInput, notExists, RequestError } from './request-error';
import type { RouteTable } from './route-table';

/**
 * Webhooks, as core routes/hook.ts (1.42): create (a fresh 32-character signingKey, generateStandardSecret), list,
 * get one (with its signingKey), update (events, config, name, enabled; never the key), a new key with
 * `PATCH /hooks/:id/signing-key` (the old key stops working at once: Logto keeps one key per hook), delete.
 * Like Logto, any URL is accepted, loopback and private addresses included (hookConfigGuard: `url: z.string()`).
 */
export function addHookRoutes(routes: RouteTable, state: ManagementState): void {
  routes.add('GET', '/hooks', () => ({ status: 200, body: [...state.hooks.values()] }));

  routes.add('POST', '/hooks', ({ body }) => {
    const input = requireBody(body);
    const events = hookEvents(input, false);
    if (events === undefined) {
      throw new RequestError(400, 'hook.missing_events', 'You need to provide at least one event.');
    }
    const hook: Hook = {
      tenantId: TENANT_ID,
      id: generateStandardId(),
      name: optionalString(input, 'name', 256) ?? '',
      event: null,
      events,
      config: hookConfig(input, true)!,
      signingKey: generateSecret(),
      enabled: optionalBoolean(input, 'enabled') ?? true,
      createdAt: Date.now(),
    };
    state.hooks.set(hook.id, hook);
    return { status: 201, body: hook };
  });

  routes.add('GET', '/hooks/:id', ({ param }) => ({ status: 200, body: hookOr404(state, param('id')) }));

  routes.add('PATCH', '/hooks/:id', ({ param, body }) => {
    const current = hookOr404(state, param('id'));
    const input = requireBody(body);
    const updated: Hook = {
      ...current,
      ...(input.name !== undefined ? { name: optionalString(input, 'name', 256) ?? '' } : {}),
      ...(input.events !== undefined ? { events: hookEvents(input, true)! } : {}),
      ...(input.config !== undefined ? { config: hookConfig(input, true)! } : {}),
      ...(input.enabled !== undefined ? { enabled: optionalBoolean(input, 'enabled')! } : {}),
    };
    state.hooks.set(updated.id, updated);
    return { status: 200, body: updated };
  });

  routes.add('PATCH', '/hooks/:id/signing-key', ({ param }) => {
    const updated: Hook = { ...hookOr404(state, param('id')), signingKey: generateSecret() };
    state.hooks.set(updated.id, updated);
    return { status: 200, body: updated };
  });

  routes.add('DELETE', '/hooks/:id', ({ param }) => {
    hookOr404(state, param('id'));
    state.hooks.delete(param('id'));
    return { status: 204 };
  });
}

function hookOr404(state: ManagementState, id: string): Hook {
  const hook = state.hooks.get(id);
  if (hook === undefined) {
    throw notExists('hook');
  }
  return hook;
}

/** Logto's nonemptyUniqueHookEventsGuard: a non-empty array of distinct known events. */
function hookEvents(input: Body, required: boolean): string[] | undefined {
  const value = input.events;
  if (value === undefined && !required) {
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0 || !value.every((event) => typeof event === 'string' && LOGTO_HOOK_EVENTS.has(event)) || new Set(value).size !== value.length) {
    throw invalidInput('"events" must be a non-empty array of distinct hook events');
  }
  return value as string[];
}

/** Logto's hookConfigGuard: `{ url: string, headers?: Record<string, string>, retries?: 0..3 }`. */
function hookConfig(input: Body, required: boolean): Hook['config'] | undefined {
  const config = optionalObject(input, 'config');
  if (config === undefined) {
    if (required) {
      throw invalidInput('"config" must be an object with a "url"');
    }
    return undefined;
  }
  if (typeof config.url !== 'string') {
    throw invalidInput('"config.url" must be a string');
  }
  const headers = config.headers;
  if (headers !== undefined && (typeof headers !== 'object' || headers === null || Array.isArray(headers) || !Object.values(headers).every((value) => typeof value === 'string'))) {
    throw invalidInput('"config.headers" must be an object of strings');
  }
  const retries = config.retries;
  if (retries !== undefined && (typeof retries !== 'number' || retries < 0 || retries > 3)) {
    throw invalidInput('"config.retries" must be a number from 0 to 3');
  }
  return {
    url: config.url,
    ...(headers !== undefined ? { headers: headers as Record<string, string> } : {}),
    ...(retries !== undefined ? { retries } : {}),
  };
}
