import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Metrics } from '@app/service-core';
import {
  DEFAULT_LOGTO_RETRIES,
  DEFAULT_LOGTO_TIMEOUT_MS,
  DEFAULT_MANAGEMENT_API_RESOURCE,
  type LogtoConfig,
  logtoConfig,
} from './logto.config';
import {
  type LogtoErrorBody,
  LogtoConflictError,
  LogtoNotConfiguredError,
  LogtoNotFoundError,
  LogtoRequestError,
} from './logto.errors';
import { type HttpResponse, LOGTO_CLIENT_OPTIONS, type LogtoClientOptions, LogtoHttp } from './logto-http';
import { LogtoTokenSource } from './logto-token';
import type {
  CreateOrganizationInput,
  CreateOrganizationInvitationInput,
  InvitationMessagePayload,
  ListOrganizationInvitationsQuery,
  ListOrganizationUsersQuery,
  ListOrganizationsQuery,
  Organization,
  OrganizationInvitation,
  OrganizationMember,
  OrganizationRole,
  Page,
  Scope,
  UpdateOrganizationInput,
  User,
} from './logto.types';

/** What the client needs; `managementApiResource`, `timeoutMs` and `retries` have defaults for direct construction. */
export type LogtoClientConfig = Omit<LogtoConfig, 'managementApiResource' | 'timeoutMs' | 'retries'> &
  Partial<Pick<LogtoConfig, 'managementApiResource' | 'timeoutMs' | 'retries'>>;

/** Per-call overrides, e.g. a short probe for readiness. */
export interface LogtoCallOptions {
  readonly timeoutMs?: number;
  readonly retries?: number;
}

const MAX_PAGE_SIZE = 100;

interface ApiRequest extends LogtoCallOptions {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Under `/api`, already encoded. */
  readonly path: string;
  readonly query?: Record<string, string | number | undefined>;
  readonly body?: unknown;
  /** May the request be repeated after an attempt with unknown outcome (see LogtoHttp)? */
  readonly retrySafe: boolean;
}

const segment = (value: string): string => encodeURIComponent(value);

/**
 * Logto Management API client (machine-to-machine). Without an endpoint or M2M credentials it reports
 * `configured: false` and every call throws LogtoNotConfiguredError, so a first install can boot before Logto
 * is set up. Construct it directly with a config object, or through LogtoClientModule.
 */
@Injectable()
export class LogtoManagementClient {
  readonly configured: boolean;
  /** Where calls go: LOGTO_INTERNAL_URL, else LOGTO_ENDPOINT. */
  readonly baseUrl: string | undefined;
  private readonly missing: readonly string[];
  private readonly http: LogtoHttp;
  private readonly tokens: LogtoTokenSource | undefined;
  private readonly timeoutMs: number;
  private readonly retries: number;

  constructor(
    @Inject(logtoConfig.KEY) config: LogtoClientConfig,
    @Optional() @Inject(LOGTO_CLIENT_OPTIONS) options: LogtoClientOptions = {},
    // The app's metrics (MetricsModule is global); absent where a test builds the client alone.
    @Optional() metrics?: Metrics,
  ) {
    this.baseUrl = (config.internalUrl ?? config.endpoint)?.replace(/\/+$/, '');
    this.timeoutMs = config.timeoutMs ?? DEFAULT_LOGTO_TIMEOUT_MS;
    this.retries = config.retries ?? DEFAULT_LOGTO_RETRIES;
    const calls = metrics?.histogram('cameleer_logto_management_request_duration_seconds', 'Calls to the Logto Management API (token requests included), with retries, by outcome.', ['outcome']);
    this.http = new LogtoHttp(options.logger ?? new Logger(LogtoManagementClient.name), options, (outcome, seconds) => calls?.observe({ outcome }, seconds));
    this.missing = [
      ...(this.baseUrl === undefined ? ['LOGTO_ENDPOINT'] : []),
      ...(config.m2mAppId === undefined ? ['LOGTO_M2M_APP_ID'] : []),
      ...(config.m2mAppSecret === undefined ? ['LOGTO_M2M_APP_SECRET'] : []),
    ];
    this.configured = this.missing.length === 0;
    if (this.baseUrl !== undefined && config.m2mAppId !== undefined && config.m2mAppSecret !== undefined) {
      this.tokens = new LogtoTokenSource(this.http, {
        tokenUrl: `${this.baseUrl}/oidc/token`,
        resource: config.managementApiResource ?? DEFAULT_MANAGEMENT_API_RESOURCE,
        appId: config.m2mAppId,
        appSecret: config.m2mAppSecret,
        timeoutMs: this.timeoutMs,
        retries: this.retries,
        expiryMarginMs: options.tokenExpiryMarginMs ?? 60_000,
        now: options.now ?? Date.now,
      });
    }
  }

  // --- organizations ---------------------------------------------------------------------------------------

  /**
   * POST /api/organizations. Never retried after a timeout or a lost connection (it could create a second
   * organization): such failures are LogtoUnavailableError with `ambiguous: true` — look the organization up
   * (e.g. findOrganizations on customData) before creating again.
   */
  async createOrganization(input: CreateOrganizationInput): Promise<Organization> {
    const response = await this.call({
      method: 'POST',
      path: '/organizations',
      body: { name: input.name, description: input.description, customData: input.customData },
      retrySafe: false,
    });
    return response.body as Organization;
  }

  /** GET /api/organizations/:id; 404 → LogtoNotFoundError. */
  async getOrganization(id: string): Promise<Organization> {
    const response = await this.call({ method: 'GET', path: `/organizations/${segment(id)}`, retrySafe: true });
    return response.body as Organization;
  }

  /**
   * PATCH /api/organizations/:id. Only the fields given change, but `customData` replaces the whole object.
   * The fields are absolute values, so repeating the call after a timeout is safe.
   */
  async updateOrganization(id: string, input: UpdateOrganizationInput): Promise<Organization> {
    const body: Record<string, unknown> = {};
    for (const key of ['name', 'description', 'customData'] as const) {
      if (input[key] !== undefined) {
        body[key] = input[key];
      }
    }
    const response = await this.call({ method: 'PATCH', path: `/organizations/${segment(id)}`, body, retrySafe: true });
    return response.body as Organization;
  }

  /**
   * DELETE /api/organizations/:id; 404 → LogtoNotFoundError — except a 404 on a retry after an attempt whose
   * outcome was unknown, which means that attempt deleted it.
   */
  async deleteOrganization(id: string): Promise<void> {
    const request: ApiRequest = { method: 'DELETE', path: `/organizations/${segment(id)}`, retrySafe: true };
    const response = await this.send(request);
    if (response.status === 404 && response.afterAmbiguousAttempt) {
      return;
    }
    this.assertOk(request, response);
  }

  /** One page of GET /api/organizations (`q` searches id and name only). */
  async listOrganizations(query: ListOrganizationsQuery = {}): Promise<Page<Organization>> {
    const response = await this.call({
      method: 'GET',
      path: '/organizations',
      query: { q: query.q, page: query.page ?? 1, page_size: query.pageSize ?? 20 },
      retrySafe: true,
    });
    const items = response.body as Organization[];
    return { items, total: totalNumber(response, items.length) };
  }

  /**
   * Every organization matching `predicate`, paging through all of them (Logto's `q` cannot search
   * customData). `q` narrows the scan server-side when the predicate implies a name or id match.
   */
  async findOrganizations(
    predicate: (organization: Organization) => boolean,
    options: { pageSize?: number; q?: string } = {},
  ): Promise<Organization[]> {
    const pageSize = options.pageSize ?? MAX_PAGE_SIZE;
    const found = new Map<string, Organization>();
    for (let page = 1, seen = 0; ; page++) {
      const { items, total } = await this.listOrganizations({ q: options.q, page, pageSize });
      for (const organization of items) {
        if (predicate(organization)) {
          found.set(organization.id, organization);
        }
      }
      seen += items.length;
      if (items.length < pageSize || seen >= total) {
        return [...found.values()];
      }
    }
  }

  /**
   * POST /api/organizations/:id/users. Existing members are ignored by Logto, so the call is repeatable.
   * An unknown organization or user is 422 `entity.relation_foreign_key_not_found` (LogtoConflictError), not 404.
   */
  async addOrganizationUsers(organizationId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) {
      return;
    }
    await this.call({ method: 'POST', path: `/organizations/${segment(organizationId)}/users`, body: { userIds }, retrySafe: true });
  }

  /**
   * POST /api/organizations/:id/users/roles: gives each user each role (additive, repeatable). Users must be
   * members already; otherwise 422 (LogtoConflictError).
   */
  async assignOrganizationRoles(organizationId: string, userIds: readonly string[], roleIds: readonly string[]): Promise<void> {
    if (userIds.length === 0 || roleIds.length === 0) {
      return;
    }
    await this.call({
      method: 'POST',
      path: `/organizations/${segment(organizationId)}/users/roles`,
      body: { userIds, organizationRoleIds: roleIds },
      retrySafe: true,
    });
  }

  /**
   * One page of GET /api/organizations/:id/users: the members with their roles in this organization
   * (core routes/organization/user/index.ts); `total` from the Total-Number header.
   */
  async listOrganizationUsers(organizationId: string, query: ListOrganizationUsersQuery = {}): Promise<Page<OrganizationMember>> {
    const response = await this.call({
      method: 'GET',
      path: `/organizations/${segment(organizationId)}/users`,
      query: { q: query.q, page: query.page ?? 1, page_size: query.pageSize ?? 20 },
      retrySafe: true,
    });
    const items = response.body as OrganizationMember[];
    return { items, total: totalNumber(response, items.length) };
  }

  /** Every member of the organization with their roles, paging through listOrganizationUsers. */
  async listAllOrganizationUsers(organizationId: string): Promise<OrganizationMember[]> {
    const members: OrganizationMember[] = [];
    for (let page = 1; ; page++) {
      const { items, total } = await this.listOrganizationUsers(organizationId, { page, pageSize: MAX_PAGE_SIZE });
      members.push(...items);
      if (items.length < MAX_PAGE_SIZE || members.length >= total) {
        return members;
      }
    }
  }

  /**
   * PUT /api/organizations/:id/users/:userId/roles: the member's roles become exactly `roleIds` (absolute, so
   * repeatable). A non-member is 422 `organization.require_membership`; an unknown role id 422
   * `entity.relation_foreign_key_not_found` (core routes/organization/user/role-relations.ts).
   */
  async replaceOrganizationUserRoles(organizationId: string, userId: string, roleIds: readonly string[]): Promise<void> {
    await this.call({
      method: 'PUT',
      path: `/organizations/${segment(organizationId)}/users/${segment(userId)}/roles`,
      body: { organizationRoleIds: roleIds },
      retrySafe: true,
    });
  }

  /**
   * DELETE /api/organizations/:id/users/:userId; a non-member is 404 (LogtoNotFoundError: RelationQueries.delete
   * throws DeletionError) — except on a retry after an attempt with unknown outcome, which means it was removed.
   */
  async removeOrganizationUser(organizationId: string, userId: string): Promise<void> {
    const request: ApiRequest = { method: 'DELETE', path: `/organizations/${segment(organizationId)}/users/${segment(userId)}`, retrySafe: true };
    const response = await this.send(request);
    if (response.status === 404 && response.afterAmbiguousAttempt) {
      return;
    }
    this.assertOk(request, response);
  }

  // --- organization invitations -------------------------------------------------------------------------------

  /**
   * POST /api/organization-invitations without a message (`messagePayload: false`): Logto rolls the invitation
   * back when the message fails, so the message is sent separately (sendOrganizationInvitationMessage) to keep
   * the invitation when the email connector is missing. Never retried after an unknown outcome (a second Pending
   * invitation for the same invitee is refused with 422 anyway). An invitee who is already a member, or an
   * `expiresAt` in the past, is 400/422 `request.invalid_input`.
   */
  async createOrganizationInvitation(input: CreateOrganizationInvitationInput): Promise<OrganizationInvitation> {
    const response = await this.call({
      method: 'POST',
      path: '/organization-invitations',
      body: {
        organizationId: input.organizationId,
        invitee: input.invitee,
        inviterId: input.inviterId,
        expiresAt: input.expiresAt,
        organizationRoleIds: input.organizationRoleIds,
        messagePayload: false,
      },
      retrySafe: false,
    });
    return response.body as OrganizationInvitation;
  }

  /** GET /api/organization-invitations (unpaginated in Logto), filtered by the fields given. */
  async listOrganizationInvitations(query: ListOrganizationInvitationsQuery = {}): Promise<OrganizationInvitation[]> {
    const response = await this.call({
      method: 'GET',
      path: '/organization-invitations',
      query: { organizationId: query.organizationId, inviterId: query.inviterId, invitee: query.invitee },
      retrySafe: true,
    });
    return response.body as OrganizationInvitation[];
  }

  /** GET /api/organization-invitations/:id; 404 for an unknown one. */
  async getOrganizationInvitation(id: string): Promise<OrganizationInvitation> {
    const response = await this.call({ method: 'GET', path: `/organization-invitations/${segment(id)}`, retrySafe: true });
    return response.body as OrganizationInvitation;
  }

  /** DELETE /api/organization-invitations/:id (the record goes; revoking keeps it: setOrganizationInvitationStatus). */
  async deleteOrganizationInvitation(id: string): Promise<void> {
    const request: ApiRequest = { method: 'DELETE', path: `/organization-invitations/${segment(id)}`, retrySafe: true };
    const response = await this.send(request);
    if (response.status === 404 && response.afterAmbiguousAttempt) {
      return;
    }
    this.assertOk(request, response);
  }

  /**
   * PUT /api/organization-invitations/:id/status. Accepted needs `acceptedUserId`, whose primary email must equal
   * the invitee (case-insensitive), and makes Logto add the membership with the invitation's roles in the same
   * transaction (core libraries/organization-invitation.ts `updateStatus`). A final status (Accepted, Expired,
   * Revoked) cannot change: 422 `request.invalid_input`. A repeat after an unknown outcome therefore fails with 422
   * although the first attempt succeeded: the caller re-reads the invitation.
   */
  async setOrganizationInvitationStatus(
    id: string,
    change: { status: 'Accepted'; acceptedUserId: string } | { status: 'Revoked' },
  ): Promise<OrganizationInvitation> {
    const response = await this.call({
      method: 'PUT',
      path: `/organization-invitations/${segment(id)}/status`,
      body: change,
      retrySafe: true,
    });
    return response.body as OrganizationInvitation;
  }

  /**
   * POST /api/organization-invitations/:id/message: Logto sends the invitation email through its email
   * connector. Without one Logto answers 501 `connector.not_found` (core libraries/connector.ts
   * `getMessageConnector`), which arrives as LogtoUnavailableError with that status and code (see
   * isMissingEmailConnector). Not retried after an unknown outcome (it could send the email twice).
   */
  async sendOrganizationInvitationMessage(id: string, payload: InvitationMessagePayload): Promise<void> {
    await this.call({
      method: 'POST',
      path: `/organization-invitations/${segment(id)}/message`,
      body: payload,
      retrySafe: false,
      // A 501 is Logto's "not configured", not a passing failure: do not wait through the backoff for it.
      retries: 0,
    });
  }

  // --- users ------------------------------------------------------------------------------------------------

  /** GET /api/users/:id; an unknown user is 404 (LogtoNotFoundError, Logto's code `entity.not_found`). */
  async getUser(id: string, options: LogtoCallOptions = {}): Promise<User> {
    const response = await this.call({ method: 'GET', path: `/users/${segment(id)}`, retrySafe: true, ...options });
    return response.body as User;
  }

  // --- organization roles -----------------------------------------------------------------------------------

  /** Every organization role (paging through GET /api/organization-roles), with its scopes and resource scopes. */
  async listOrganizationRoles(): Promise<OrganizationRole[]> {
    const roles: OrganizationRole[] = [];
    for (let page = 1; ; page++) {
      const response = await this.call({
        method: 'GET',
        path: '/organization-roles',
        query: { page, page_size: MAX_PAGE_SIZE },
        retrySafe: true,
      });
      const items = response.body as OrganizationRole[];
      roles.push(...items);
      if (items.length < MAX_PAGE_SIZE || roles.length >= totalNumber(response, roles.length)) {
        return roles;
      }
    }
  }

  /** GET /api/organization-roles/:id/resource-scopes (unpaginated: all of them); 404 for an unknown role. */
  async getOrganizationRoleResourceScopes(roleId: string): Promise<Scope[]> {
    const response = await this.call({ method: 'GET', path: `/organization-roles/${segment(roleId)}/resource-scopes`, retrySafe: true });
    return response.body as Scope[];
  }

  // --- health -------------------------------------------------------------------------------------------------

  /** GET /api/status (public, 204 when Logto is up). Throws like every call when unconfigured or unreachable. */
  async status(options: LogtoCallOptions = {}): Promise<void> {
    const baseUrl = this.requireConfigured();
    const request: ApiRequest = { method: 'GET', path: '/status', retrySafe: true, ...options };
    const response = await this.http.send({
      method: 'GET',
      url: `${baseUrl}/api/status`,
      path: '/api/status',
      headers: {},
      retrySafe: true,
      retries: options.retries ?? this.retries,
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
    });
    this.assertOk(request, response);
  }

  // --- plumbing -----------------------------------------------------------------------------------------------

  private requireConfigured(): string {
    if (!this.configured || this.baseUrl === undefined) {
      throw new LogtoNotConfiguredError(this.missing);
    }
    return this.baseUrl;
  }

  private async call(request: ApiRequest): Promise<HttpResponse> {
    const response = await this.send(request);
    this.assertOk(request, response);
    return response;
  }

  /** Sends with a bearer token; a 401 drops the cached token and repeats the call once with a fresh one. */
  private async send(request: ApiRequest): Promise<HttpResponse> {
    const baseUrl = this.requireConfigured();
    const tokens = this.tokens;
    if (tokens === undefined) {
      throw new LogtoNotConfiguredError(this.missing);
    }
    const url = new URL(`${baseUrl}/api${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) {
        url.searchParams.set(key, String(value));
      }
    }
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const attempt = async (token: string): Promise<HttpResponse> =>
      this.http.send({
        method: request.method,
        url: url.toString(),
        path: `/api${request.path}`,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body,
        retrySafe: request.retrySafe,
        retries: request.retries ?? this.retries,
        timeoutMs: request.timeoutMs ?? this.timeoutMs,
      });

    const token = await tokens.get();
    const response = await attempt(token);
    if (response.status !== 401) {
      return response;
    }
    // A 401 is answered before anything is done, so even a POST may be repeated.
    tokens.invalidate(token);
    return attempt(await tokens.get());
  }

  private assertOk(request: ApiRequest, response: HttpResponse): void {
    if (response.status >= 200 && response.status < 300) {
      return;
    }
    const input = { method: request.method, path: `/api${request.path}`, status: response.status, body: errorBody(response.body) };
    if (response.status === 404) {
      throw new LogtoNotFoundError(input);
    }
    if (response.status === 422) {
      throw new LogtoConflictError(input);
    }
    throw new LogtoRequestError(input);
  }
}

function errorBody(body: unknown): LogtoErrorBody | undefined {
  if (typeof body !== 'object' || body === null) {
    return undefined;
  }
  const { code, message, data, details } = body as Record<string, unknown>;
  return {
    code: typeof code === 'string' ? code : undefined,
    message: typeof message === 'string' ? message : undefined,
    data,
    details: typeof details === 'string' ? details : undefined,
  };
}

function totalNumber(response: HttpResponse, fallback: number): number {
  const total = Number.parseInt(response.headers.get('total-number') ?? '', 10);
  return Number.isFinite(total) && total >= 0 ? total : fallback;
}
