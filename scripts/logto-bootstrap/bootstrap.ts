// The Logto bootstrap itself: reads what exists, refuses on organization roles holding platform scopes, then creates
// or updates each item of desired-state.ts. Idempotent: a rerun finds everything in place and changes nothing.
import { HANDLED_LOGTO_EVENTS } from '@app/logto-webhooks';
import type { LogtoLogger } from '@app/logto-client';
import {
  API_RESOURCE_NAME,
  API_SCOPES,
  EDGE_APP,
  EDGE_CALLBACK_PATH,
  EDGE_SIGNED_OUT_PATH,
  FALLBACK_MANAGEMENT_ROLE,
  GLOBAL_ROLES,
  M2M_APP,
  MANAGEMENT_API_SCOPE,
  ORGANIZATION_ROLES,
  PLATFORM_SCOPE_PREFIX,
  type RoleSpec,
  type RoleType,
  SEEDED_MANAGEMENT_ROLE,
  SPA_APP,
} from './desired-state';
import { BootstrapManagementClient } from './management-client';

export const DEFAULT_MANAGEMENT_API_RESOURCE = 'https://default.logto.app/api';

export interface BootstrapOptions {
  /** Where Logto answers: LOGTO_INTERNAL_URL, else LOGTO_ENDPOINT. */
  readonly baseUrl: string;
  /** The admin machine-to-machine credential (a role holding the Management API's `all` scope). */
  readonly adminAppId: string;
  readonly adminAppSecret: string;
  /** This API's resource indicator (LOGTO_API_RESOURCE). */
  readonly apiResource: string;
  readonly managementApiResource?: string;
  /** The UI's redirect URIs; undefined leaves an existing app's URIs alone (and creates it with none). */
  readonly uiRedirectUris?: readonly string[];
  /** Default: the origins of the redirect URIs, each with a trailing `/`. */
  readonly uiPostLogoutRedirectUris?: readonly string[];
  /**
   * The auth host of the edge's browser sign-in (EDGE_AUTH_HOST, else auth.<TENANT_BASE_DOMAIN>): its Traditional
   * app is registered with https://<host>/api/auth/callback and …/signed-out. Undefined: the app is not managed.
   */
  readonly edgeAuthHost?: string;
  /**
   * Where Logto sends its webhook (LOGTO_WEBHOOK_URL, else PUBLIC_URL + /api/webhooks/logto): the hook "cameleer-saas"
   * is registered for the events the API handles. Undefined: the hook is not managed.
   */
  readonly webhookUrl?: string;
  readonly dryRun?: boolean;
  readonly timeoutMs?: number;
  readonly retries?: number;
  readonly fetch?: typeof fetch;
  readonly logger?: LogtoLogger;
}

export type ItemAction = 'created' | 'updated' | 'unchanged' | 'would create' | 'would update';

export interface ItemReport {
  readonly item: string;
  readonly action: ItemAction;
  readonly detail?: string;
}

export interface EnvLine {
  readonly name: string;
  /** Undefined when it cannot be shown (a secret of an app that already existed, or a dry run). */
  readonly value?: string;
  readonly note?: string;
}

export interface BootstrapResult {
  readonly dryRun: boolean;
  readonly items: readonly ItemReport[];
  readonly env: readonly EnvLine[];
  readonly warnings: readonly string[];
  /** Something was (or, in a dry run, would be) created or updated. */
  readonly changed: boolean;
}

export interface PlatformScopeOffence {
  readonly role: string;
  readonly scope: string;
  readonly resource: string;
}

/** An organization role holds a `platform:*` scope: the bootstrap refuses to finish until an operator removes it. */
export class BootstrapRefusedError extends Error {
  constructor(readonly offences: readonly PlatformScopeOffence[]) {
    const list = offences.map(({ role, scope, resource }) => `organization role "${role}" holds ${scope} (${resource})`).join('; ');
    super(
      `Refusing to bootstrap: ${list}. Platform scopes must come only from the global roles ${GLOBAL_ROLES.map((role) => `"${role.name}"`).join(' and ')}: ` +
        'an organization role holding one would grant platform access through any organization. Remove the scope from the ' +
        'role in the Logto console (Organization template → Organization roles → Permissions), then run the bootstrap again.',
    );
    this.name = 'BootstrapRefusedError';
  }
}

// Logto response shapes (the fields used here).
interface Scope {
  id: string;
  resourceId: string;
  name: string;
  description: string | null;
}
interface Resource {
  id: string;
  name: string;
  indicator: string;
}
interface OrganizationRole {
  id: string;
  name: string;
  description: string | null;
  /** Absent on Logto versions without machine-to-machine organization roles: those are all User roles. */
  type?: RoleType;
  scopes?: { id: string; name: string }[];
  resourceScopes?: { id: string; name: string; resource: { id: string; name: string } }[];
}
interface Role {
  id: string;
  name: string;
  description: string;
  type: RoleType;
}
// No `secret`: Logto 1.20–1.41 answer with an internal one there, which must never be printed (see readSecret).
interface Application {
  id: string;
  name: string;
  type: string;
  oidcClientMetadata?: { redirectUris?: string[]; postLogoutRedirectUris?: string[] };
}
/** An entry of `GET /applications/:id/secrets` (Logto ≥ 1.20, core routes/applications/application-secret.ts). */
interface ApplicationSecret {
  name: string;
  value: string;
  /** Epoch milliseconds, or null for a secret that does not expire. */
  expiresAt: number | null;
}

class Run {
  readonly items: ItemReport[] = [];
  readonly warnings: string[] = [];
  constructor(
    readonly client: BootstrapManagementClient,
    readonly dryRun: boolean,
  ) {}

  report(item: string, action: ItemAction, detail?: string): void {
    this.items.push({ item, action, ...(detail === undefined ? {} : { detail }) });
  }

  created(item: string, detail?: string): void {
    this.report(item, this.dryRun ? 'would create' : 'created', detail);
  }

  updated(item: string, detail?: string): void {
    this.report(item, this.dryRun ? 'would update' : 'updated', detail);
  }
}

/** Runs the bootstrap once. Throws BootstrapRefusedError (before changing anything) or the Logto error that stopped it. */
export async function run(options: BootstrapOptions): Promise<BootstrapResult> {
  const managementApiResource = options.managementApiResource ?? DEFAULT_MANAGEMENT_API_RESOURCE;
  const client = new BootstrapManagementClient({
    baseUrl: options.baseUrl,
    appId: options.adminAppId,
    appSecret: options.adminAppSecret,
    managementApiResource,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    fetch: options.fetch,
    logger: options.logger,
  });
  const ctx = new Run(client, options.dryRun ?? false);

  // Read first: the refusal and every conflict that needs an operator must come before any change.
  const resources = await client.list<Resource>('/resources');
  const organizationRoles = await client.list<OrganizationRole>('/organization-roles');
  const offences = platformScopeOffences(organizationRoles);
  if (offences.length > 0) {
    throw new BootstrapRefusedError(offences);
  }
  const roles = await client.list<Role>('/roles');
  const typeConflicts = [
    ...roleTypeConflicts('organization role', ORGANIZATION_ROLES, organizationRoles),
    ...roleTypeConflicts('global role', GLOBAL_ROLES, roles),
  ];
  if (typeConflicts.length > 0) {
    throw new Error(`${typeConflicts.join('; ')}. Rename or delete each in the Logto console, then run the bootstrap again.`);
  }

  const managementApi = resources.find((resource) => resource.indicator === managementApiResource);
  if (!managementApi) {
    throw new Error(`Logto has no API resource "${managementApiResource}" (LOGTO_MANAGEMENT_API_RESOURCE); on Logto OSS it is https://default.logto.app/api`);
  }
  const allScope = (await client.list<Scope>(`/resources/${seg(managementApi.id)}/scopes`)).find((scope) => scope.name === MANAGEMENT_API_SCOPE);
  if (!allScope) {
    throw new Error(`The Management API resource "${managementApiResource}" has no "${MANAGEMENT_API_SCOPE}" scope`);
  }

  const api = await ensureApiResource(ctx, resources, options.apiResource);
  for (const spec of ORGANIZATION_ROLES) {
    await ensureOrganizationRole(ctx, organizationRoles, api, spec);
  }
  for (const spec of GLOBAL_ROLES) {
    await ensureGlobalRole(ctx, roles, api, spec);
  }
  const managementRole = await ensureManagementRole(ctx, roles, allScope);
  const m2m = await ensureM2mApp(ctx, managementRole);
  const spa = await ensureSpa(ctx, options);
  const edge = await ensureEdgeApp(ctx, options.edgeAuthHost);
  const webhook = await ensureWebhook(ctx, options.webhookUrl);

  const env: EnvLine[] = [
    { name: 'LOGTO_API_RESOURCE', value: options.apiResource },
    m2m.id === undefined ? { name: 'LOGTO_M2M_APP_ID', note: 'known after a real run' } : { name: 'LOGTO_M2M_APP_ID', value: m2m.id },
    m2m.secret !== undefined
      ? { name: 'LOGTO_M2M_APP_SECRET', value: m2m.secret, note: 'shown once: copy it now' }
      : {
          name: 'LOGTO_M2M_APP_SECRET',
          note: ctx.dryRun && m2m.id === undefined
            ? 'printed when the app is created'
            : `unchanged: the app already existed, its secret was printed when it was created (lost? add a secret to "${M2M_APP.name}" in the Logto console)`,
        },
    spa === undefined ? { name: 'LOGTO_UI_APP_ID', note: 'known after a real run' } : { name: 'LOGTO_UI_APP_ID', value: spa, note: `client id of "${SPA_APP.name}", for the UI's configuration (cameleer-saas does not read it)` },
    ...edgeEnvLines(ctx, edge),
    ...webhookEnvLines(webhook),
  ];
  return {
    dryRun: ctx.dryRun,
    items: ctx.items,
    env,
    warnings: ctx.warnings,
    changed: ctx.items.some((item) => item.action !== 'unchanged'),
  };
}

/**
 * A role of ours that exists with the other type cannot be repaired by adding scopes: Logto would refuse to give it
 * to the callers it is meant for. The operator renames or deletes it; nothing is changed before.
 */
function roleTypeConflicts(kind: string, specs: readonly RoleSpec[], existing: readonly { name: string; type?: RoleType }[]): string[] {
  return specs.flatMap((spec) => {
    const role = existing.find((candidate) => candidate.name === spec.name);
    const type = role?.type ?? 'User';
    return role && type !== spec.type ? [`the ${kind} "${spec.name}" exists with type ${type}; it must be ${spec.type}`] : [];
  });
}

function platformScopeOffences(organizationRoles: readonly OrganizationRole[]): PlatformScopeOffence[] {
  return organizationRoles.flatMap((role) => [
    ...(role.resourceScopes ?? [])
      .filter((scope) => scope.name.startsWith(PLATFORM_SCOPE_PREFIX))
      .map((scope) => ({ role: role.name, scope: scope.name, resource: `API resource "${scope.resource.name}"` })),
    ...(role.scopes ?? [])
      .filter((scope) => scope.name.startsWith(PLATFORM_SCOPE_PREFIX))
      .map((scope) => ({ role: role.name, scope: scope.name, resource: 'organization permission' })),
  ]);
}

interface ApiState {
  /** Undefined only in a dry run that would create it. */
  readonly resource?: Resource;
  /** Scope name → ID, for the scopes that exist. */
  readonly scopeIds: ReadonlyMap<string, string>;
}

async function ensureApiResource(ctx: Run, resources: readonly Resource[], indicator: string): Promise<ApiState> {
  const item = `API resource ${indicator}`;
  let resource = resources.find((candidate) => candidate.indicator === indicator);
  const scopeIds = new Map<string, string>();
  if (!resource) {
    ctx.created(item, `"${API_RESOURCE_NAME}"`);
    if (ctx.dryRun) {
      API_SCOPES.forEach((scope) => ctx.created(`scope ${scope.name}`));
      return { scopeIds };
    }
    resource = await ctx.client.post<Resource>('/resources', { name: API_RESOURCE_NAME, indicator });
  } else if (resource.name !== API_RESOURCE_NAME) {
    ctx.updated(item, `name "${resource.name}" → "${API_RESOURCE_NAME}"`);
    if (!ctx.dryRun) {
      resource = await ctx.client.patch<Resource>(`/resources/${seg(resource.id)}`, { name: API_RESOURCE_NAME });
    }
  } else {
    ctx.report(item, 'unchanged');
  }

  const path = `/resources/${seg(resource.id)}/scopes`;
  const existing = await ctx.client.list<Scope>(path);
  for (const spec of API_SCOPES) {
    const scope = existing.find((candidate) => candidate.name === spec.name);
    if (!scope) {
      ctx.created(`scope ${spec.name}`);
      if (!ctx.dryRun) {
        const created = await ctx.client.post<Scope>(path, { name: spec.name, description: spec.description });
        scopeIds.set(spec.name, created.id);
      }
      continue;
    }
    scopeIds.set(spec.name, scope.id);
    if (scope.description !== spec.description) {
      ctx.updated(`scope ${spec.name}`, 'description');
      if (!ctx.dryRun) {
        await ctx.client.patch(`${path}/${seg(scope.id)}`, { description: spec.description });
      }
    } else {
      ctx.report(`scope ${spec.name}`, 'unchanged');
    }
  }
  return { resource, scopeIds };
}

/** IDs of the named scopes that exist (all of them, except in a dry run that would create some). */
const idsOf = (api: ApiState, names: readonly string[]): string[] => names.flatMap((name) => api.scopeIds.get(name) ?? []);

async function ensureOrganizationRole(ctx: Run, existing: readonly OrganizationRole[], api: ApiState, spec: RoleSpec): Promise<void> {
  const item = `organization role ${spec.name}`;
  const role = existing.find((candidate) => candidate.name === spec.name);
  if (!role) {
    ctx.created(item, `${spec.type}: ${spec.scopes.join(', ')}`);
    if (!ctx.dryRun) {
      await ctx.client.post('/organization-roles', {
        name: spec.name,
        description: spec.description,
        type: spec.type,
        organizationScopeIds: [],
        resourceScopeIds: idsOf(api, spec.scopes),
      });
    }
    return;
  }
  const held = new Set((role.resourceScopes ?? []).filter((scope) => scope.resource.id === api.resource?.id).map((scope) => scope.name));
  const missing = spec.scopes.filter((name) => !held.has(name));
  const extra = [...held].filter((name) => !spec.scopes.includes(name));
  if (extra.length > 0) {
    ctx.warnings.push(`${item} also holds ${extra.join(', ')} (left as is; remove it in the Logto console if unintended)`);
  }
  const changes: string[] = [];
  if (missing.length > 0) {
    changes.push(`+${missing.join(', +')}`);
    if (!ctx.dryRun) {
      await ctx.client.post(`/organization-roles/${seg(role.id)}/resource-scopes`, { scopeIds: idsOf(api, missing) });
    }
  }
  if (role.description !== spec.description) {
    changes.push('description');
    if (!ctx.dryRun) {
      await ctx.client.patch(`/organization-roles/${seg(role.id)}`, { description: spec.description });
    }
  }
  if (changes.length > 0) {
    ctx.updated(item, changes.join('; '));
  } else {
    ctx.report(item, 'unchanged');
  }
}

/** A global role of ours; its type was checked (roleTypeConflicts) before any change. */
async function ensureGlobalRole(ctx: Run, roles: readonly Role[], api: ApiState, spec: RoleSpec): Promise<void> {
  const item = `global role ${spec.name}`;
  const role = roles.find((candidate) => candidate.name === spec.name);
  if (!role) {
    ctx.created(item, `${spec.type}: ${spec.scopes.join(', ')}`);
    if (!ctx.dryRun) {
      await ctx.client.post('/roles', { name: spec.name, description: spec.description, type: spec.type, scopeIds: idsOf(api, spec.scopes) });
    }
    return;
  }
  const held = new Set(
    (await ctx.client.list<Scope>(`/roles/${seg(role.id)}/scopes`)).filter((scope) => scope.resourceId === api.resource?.id).map((scope) => scope.name),
  );
  const missing = spec.scopes.filter((name) => !held.has(name));
  const changes: string[] = [];
  if (missing.length > 0) {
    changes.push(`+${missing.join(', +')}`);
    if (!ctx.dryRun) {
      await ctx.client.post(`/roles/${seg(role.id)}/scopes`, { scopeIds: idsOf(api, missing) });
    }
  }
  if (role.description !== spec.description) {
    changes.push('description');
    if (!ctx.dryRun) {
      await ctx.client.patch(`/roles/${seg(role.id)}`, { description: spec.description });
    }
  }
  if (changes.length > 0) {
    ctx.updated(item, changes.join('; '));
  } else {
    ctx.report(item, 'unchanged');
  }
}

interface ManagementRoleState {
  /** The role to assign (undefined only in a dry run that would create it). */
  readonly roleId?: string;
  /** Every machine-to-machine role holding the `all` scope: an app holding any of them has Management API access. */
  readonly holders: ReadonlySet<string>;
}

/**
 * The machine-to-machine role granting Management API access: Logto's seeded "Logto Management API access" when it
 * still holds `all`, else any M2M role holding it, else one created for cameleer-saas.
 */
async function ensureManagementRole(ctx: Run, roles: readonly Role[], allScope: Scope): Promise<ManagementRoleState> {
  const holders = new Map<string, Role>();
  for (const role of roles.filter((candidate) => candidate.type === 'MachineToMachine')) {
    const scopes = await ctx.client.list<Scope>(`/roles/${seg(role.id)}/scopes`);
    if (scopes.some((scope) => scope.id === allScope.id)) {
      holders.set(role.id, role);
    }
  }
  const preferred = [...holders.values()].sort(
    (a, b) => Number(b.name === SEEDED_MANAGEMENT_ROLE) - Number(a.name === SEEDED_MANAGEMENT_ROLE),
  )[0];
  const item = 'Management API role';
  if (preferred) {
    ctx.report(item, 'unchanged', `"${preferred.name}"`);
    return { roleId: preferred.id, holders: new Set(holders.keys()) };
  }
  const spec = FALLBACK_MANAGEMENT_ROLE;
  const sameName = roles.find((role) => role.name === spec.name);
  if (sameName) {
    if (sameName.type !== 'MachineToMachine') {
      throw new Error(`The role "${spec.name}" exists with type ${sameName.type}; it must be a machine-to-machine role.`);
    }
    ctx.updated(item, `"${spec.name}": +${MANAGEMENT_API_SCOPE}`);
    if (!ctx.dryRun) {
      await ctx.client.post(`/roles/${seg(sameName.id)}/scopes`, { scopeIds: [allScope.id] });
    }
    return { roleId: sameName.id, holders: new Set([sameName.id]) };
  }
  ctx.created(item, `"${spec.name}" (no machine-to-machine role holds the Management API "${MANAGEMENT_API_SCOPE}" scope)`);
  if (ctx.dryRun) {
    return { holders: new Set() };
  }
  const created = await ctx.client.post<Role>('/roles', {
    name: spec.name,
    description: spec.description,
    type: 'MachineToMachine',
    scopeIds: [allScope.id],
  });
  return { roleId: created.id, holders: new Set([created.id]) };
}

/** One app of that type and name, or none; several are ambiguous and stop the run. */
async function findApplication(ctx: Run, type: string, name: string): Promise<Application | undefined> {
  const matches = (await ctx.client.list<Application>('/applications', { types: type })).filter((app) => app.name === name);
  if (matches.length > 1) {
    throw new Error(`Logto has ${matches.length} ${type} applications named "${name}" (${matches.map((app) => app.id).join(', ')}); delete or rename all but one.`);
  }
  return matches[0];
}

async function ensureM2mApp(ctx: Run, managementRole: ManagementRoleState): Promise<{ id?: string; secret?: string }> {
  const item = `machine-to-machine app ${M2M_APP.name}`;
  const existing = await findApplication(ctx, 'MachineToMachine', M2M_APP.name);
  if (!existing) {
    ctx.created(item, 'with Management API access');
    if (ctx.dryRun) {
      return {};
    }
    const created = await ctx.client.post<Application>('/applications', {
      name: M2M_APP.name,
      description: M2M_APP.description,
      type: 'MachineToMachine',
    });
    const secret = await readSecret(ctx, created.id, M2M_APP.name);
    if (managementRole.roleId !== undefined) {
      await ctx.client.post(`/applications/${seg(created.id)}/roles`, { roleIds: [managementRole.roleId] });
    }
    return { id: created.id, secret };
  }
  const roleIds = (await ctx.client.list<Role>(`/applications/${seg(existing.id)}/roles`)).map((role) => role.id);
  if (roleIds.some((roleId) => managementRole.holders.has(roleId))) {
    ctx.report(item, 'unchanged', existing.id);
  } else {
    ctx.updated(item, 'assigned the Management API role');
    if (!ctx.dryRun && managementRole.roleId !== undefined) {
      await ctx.client.post(`/applications/${seg(existing.id)}/roles`, { roleIds: [managementRole.roleId] });
    }
  }
  return { id: existing.id };
}

/**
 * The edge's Traditional app, when an auth host is given: created with its two URIs (its secret printed once, read
 * from the secrets list as for the M2M app), or its URIs set back to these two when they differ.
 */
async function ensureEdgeApp(ctx: Run, authHost: string | undefined): Promise<{ managed: boolean; id?: string; secret?: string }> {
  if (authHost === undefined) {
    ctx.warnings.push(`EDGE_AUTH_HOST and TENANT_BASE_DOMAIN are not set: the edge sign-in app "${EDGE_APP.name}" is not managed (browsers cannot sign in at the edge)`);
    return { managed: false };
  }
  const item = `traditional web app ${EDGE_APP.name}`;
  const redirectUris = [`https://${authHost}${EDGE_CALLBACK_PATH}`];
  const postLogoutRedirectUris = [`https://${authHost}${EDGE_SIGNED_OUT_PATH}`];
  const existing = await findApplication(ctx, 'Traditional', EDGE_APP.name);
  if (!existing) {
    ctx.created(item, `${redirectUris[0]}; post-logout ${postLogoutRedirectUris[0]}`);
    if (ctx.dryRun) {
      return { managed: true };
    }
    const created = await ctx.client.post<Application>('/applications', {
      name: EDGE_APP.name,
      description: EDGE_APP.description,
      type: 'Traditional',
      oidcClientMetadata: { redirectUris, postLogoutRedirectUris },
    });
    return { managed: true, id: created.id, secret: await readSecret(ctx, created.id, EDGE_APP.name) };
  }
  const current = existing.oidcClientMetadata ?? {};
  if (!sameSet(current.redirectUris ?? [], redirectUris) || !sameSet(current.postLogoutRedirectUris ?? [], postLogoutRedirectUris)) {
    ctx.updated(item, `redirect URIs ${redirectUris.join(', ')}; post-logout ${postLogoutRedirectUris.join(', ')}`);
    if (!ctx.dryRun) {
      await ctx.client.patch(`/applications/${seg(existing.id)}`, { oidcClientMetadata: { redirectUris, postLogoutRedirectUris } });
    }
  } else {
    ctx.report(item, 'unchanged', existing.id);
  }
  return { managed: true, id: existing.id };
}

function edgeEnvLines(ctx: Run, edge: { managed: boolean; id?: string; secret?: string }): EnvLine[] {
  if (!edge.managed) {
    return [];
  }
  return [
    edge.id === undefined ? { name: 'LOGTO_EDGE_APP_ID', note: 'known after a real run' } : { name: 'LOGTO_EDGE_APP_ID', value: edge.id },
    edge.secret !== undefined
      ? { name: 'LOGTO_EDGE_APP_SECRET', value: edge.secret, note: 'shown once: copy it now' }
      : {
          name: 'LOGTO_EDGE_APP_SECRET',
          note:
            ctx.dryRun && edge.id === undefined
              ? 'printed when the app is created'
              : `unchanged: the app already existed, its secret was printed when it was created (lost? add a secret to "${EDGE_APP.name}" in the Logto console)`,
        },
  ];
}

/** The hook the bootstrap manages, found by this name. */
const WEBHOOK_NAME = 'cameleer-saas';

/** Logto 1.42's hook (core routes/hook.ts; GET /hooks/:id includes its signingKey). */
interface Hook {
  id: string;
  name: string;
  events: string[];
  config: { url: string; headers?: Record<string, string> };
  signingKey: string;
  enabled: boolean;
}

/**
 * The webhook "cameleer-saas" to the API, for the events it handles: created, or its events, URL and enabled flag
 * set back when they differ (its headers are left alone). Its signing key is Logto's and is read back from the hook
 * on every run (Logto keeps it readable), so it is printed every time, not only once.
 */
async function ensureWebhook(ctx: Run, url: string | undefined): Promise<{ managed: boolean; signingKey?: string }> {
  if (url === undefined) {
    ctx.warnings.push(`LOGTO_WEBHOOK_URL and PUBLIC_URL are not set: the webhook "${WEBHOOK_NAME}" is not managed (changes in Logto reach the API only at its next drift pass)`);
    return { managed: false };
  }
  const item = `webhook ${WEBHOOK_NAME}`;
  const events = [...HANDLED_LOGTO_EVENTS];
  const existing = (await ctx.client.list<Hook>('/hooks')).find((hook) => hook.name === WEBHOOK_NAME);
  if (!existing) {
    ctx.created(item, `${url}; ${events.join(', ')}`);
    if (ctx.dryRun) {
      return { managed: true };
    }
    const created = await ctx.client.post<Hook>('/hooks', { name: WEBHOOK_NAME, events, config: { url }, enabled: true });
    return { managed: true, signingKey: (await ctx.client.get<Hook>(`/hooks/${seg(created.id)}`)).signingKey };
  }
  if (!sameSet(existing.events, events) || existing.config.url !== url || !existing.enabled) {
    ctx.updated(item, `${url}; ${events.join(', ')}${existing.enabled ? '' : '; enabled'}`);
    if (!ctx.dryRun) {
      await ctx.client.patch(`/hooks/${seg(existing.id)}`, { events, config: { ...existing.config, url }, enabled: true });
    }
  } else {
    ctx.report(item, 'unchanged', existing.id);
  }
  return { managed: true, signingKey: (await ctx.client.get<Hook>(`/hooks/${seg(existing.id)}`)).signingKey };
}

function webhookEnvLines(webhook: { managed: boolean; signingKey?: string }): EnvLine[] {
  if (!webhook.managed) {
    return [];
  }
  return [
    webhook.signingKey === undefined
      ? { name: 'LOGTO_WEBHOOK_SIGNING_KEY', note: 'known after a real run' }
      : { name: 'LOGTO_WEBHOOK_SIGNING_KEY', value: webhook.signingKey, note: `the signing key of the Logto hook "${WEBHOOK_NAME}"` },
  ];
}

/** Logto's prefix of an application's internal secret (packages/schemas/src/consts/system.ts `internalPrefix`). */
const INTERNAL_SECRET_PREFIX = '#internal:';
/** The secret Logto creates with a machine-to-machine app (packages/schemas/src/consts/application.ts). */
const DEFAULT_SECRET_NAME = 'Default secret';

/**
 * The secret of an app created just now, always from `GET /applications/:id/secrets`. The create answer is no
 * source: Logto 1.20–1.41 put the app's internal secret there (`#internal:…`; it authenticates, but the console can
 * neither list nor revoke it), 1.42 leaves `secret` out (core routes/applications/application-response.ts).
 * An unreadable secret is a warning, not a failure: the app exists, and a rerun would not print a secret either.
 */
async function readSecret(ctx: Run, applicationId: string, appName: string): Promise<string | undefined> {
  const lost = `add one to "${appName}" in the Logto console (Applications → ${appName} → App secrets)`;
  let secrets: unknown;
  try {
    secrets = await ctx.client.get<unknown>(`/applications/${seg(applicationId)}/secrets`);
  } catch (error) {
    ctx.warnings.push(`could not read the secret of "${appName}" (${error instanceof Error ? error.message : String(error)}): ${lost}`);
    return undefined;
  }
  const now = Date.now();
  const usable = (Array.isArray(secrets) ? (secrets as Partial<ApplicationSecret>[]) : []).filter(
    (secret): secret is ApplicationSecret =>
      typeof secret.value === 'string' &&
      secret.value !== '' &&
      !secret.value.startsWith(INTERNAL_SECRET_PREFIX) &&
      (secret.expiresAt === null || secret.expiresAt === undefined || secret.expiresAt > now),
  );
  const secret = usable.find((candidate) => candidate.name === DEFAULT_SECRET_NAME) ?? usable[0];
  if (secret === undefined) {
    ctx.warnings.push(`Logto listed no usable secret for "${appName}": ${lost}`);
  }
  return secret?.value;
}

async function ensureSpa(ctx: Run, options: BootstrapOptions): Promise<string | undefined> {
  const item = `single-page app ${SPA_APP.name}`;
  const redirectUris = options.uiRedirectUris === undefined ? undefined : [...options.uiRedirectUris];
  const postLogoutRedirectUris =
    redirectUris === undefined ? undefined : [...(options.uiPostLogoutRedirectUris ?? defaultPostLogoutUris(redirectUris))];
  if (redirectUris === undefined) {
    ctx.warnings.push(`CAMELEER_UI_REDIRECT_URIS is not set: the redirect URIs of "${SPA_APP.name}" are not managed`);
  }
  const existing = await findApplication(ctx, 'SPA', SPA_APP.name);
  if (!existing) {
    ctx.created(item, redirectUris === undefined ? 'without redirect URIs' : redirectUris.join(', '));
    if (ctx.dryRun) {
      return undefined;
    }
    const created = await ctx.client.post<Application>('/applications', {
      name: SPA_APP.name,
      description: SPA_APP.description,
      type: 'SPA',
      oidcClientMetadata: { redirectUris: redirectUris ?? [], postLogoutRedirectUris: postLogoutRedirectUris ?? [] },
    });
    return created.id;
  }
  const current = existing.oidcClientMetadata ?? {};
  if (
    redirectUris !== undefined &&
    postLogoutRedirectUris !== undefined &&
    (!sameSet(current.redirectUris ?? [], redirectUris) || !sameSet(current.postLogoutRedirectUris ?? [], postLogoutRedirectUris))
  ) {
    ctx.updated(item, `redirect URIs ${redirectUris.join(', ')}; post-logout ${postLogoutRedirectUris.join(', ')}`);
    if (!ctx.dryRun) {
      await ctx.client.patch(`/applications/${seg(existing.id)}`, { oidcClientMetadata: { redirectUris, postLogoutRedirectUris } });
    }
  } else {
    ctx.report(item, 'unchanged', existing.id);
  }
  return existing.id;
}

/** `https://console.example.com/callback` → `https://console.example.com/`. */
function defaultPostLogoutUris(redirectUris: readonly string[]): string[] {
  return [...new Set(redirectUris.map((uri) => `${new URL(uri).origin}/`))];
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((value) => right.has(value));
}

const seg = (value: string): string => encodeURIComponent(value);
