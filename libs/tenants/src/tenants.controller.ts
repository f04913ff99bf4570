import { Body, Controller, Delete, Get, Headers, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiAcceptedResponse, ApiCreatedResponse, ApiHeader, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrors, ClientAddress, Idempotent, Page, PageOf } from '@app/service-core';
import { actorOf, Authorize, ChangedBy, CurrentPrincipal, hasPlatformScope, LogtoPrincipal, Principal } from '@app/security';
import { CreateTenantDto, ListTenantsQuery, ReconcileReportView, RestoredTenantView, TenantView, toTenantView, UpdateTenantDto } from './tenant.dto';
import { TenantReconciler } from './tenant-reconciler';
import { Tenant } from './tenant.entity';
import { tenantEtag, TenantsService } from './tenants.service';
import { tenantNotFound, TENANTS_ERRORS } from './tenants-errors';

class TenantPage extends PageOf(TenantView) {}

const IF_MATCH = {
  name: 'If-Match',
  required: false,
  description: 'The ETag (W/"<version>") the change is based on; another current version → 412 PRECONDITION_FAILED, nothing written.',
};

function changedBy(principal: Principal, sourceIp: string | undefined): ChangedBy {
  return { actor: actorOf(principal), sourceIp };
}

function logtoPrincipal(principal: Principal): LogtoPrincipal {
  if (principal.scheme !== 'logto') {
    throw new Error('tenant routes accept Logto principals only');
  }
  return principal;
}

@ApiTags('tenants')
@Controller('tenants')
export class TenantsController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly reconciler: TenantReconciler,
  ) {}

  @Post()
  @Authorize({ platform: 'platform:write' })
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create a tenant and its Logto organization',
    description:
      'The tenant is committed as PROVISIONING, then its Logto organization is created (with the owner, if given, in the ' +
      '`owner` organization role). 201 when that completed within the request; 202 (status PROVISIONING) when Logto was ' +
      'unavailable or is not configured: nothing is lost, the reconciler finishes it once Logto answers. An `ownerUserId` ' +
      'that is not a Logto user (GET /api/users/{id} → 404) is refused with 422 OWNER_NOT_FOUND before anything is created. ' +
      'When Logto refuses the work itself (a 4xx) the tenant stays PROVISIONING with `sync.state` FAILED (see POST /api/tenants/{id}/sync).',
  })
  @ApiCreatedResponse({ type: TenantView, description: 'Created and provisioned (ACTIVE). Location and ETag headers are set.' })
  @ApiAcceptedResponse({ type: TenantView, description: 'Created; the Logto organization is still pending (PROVISIONING).' })
  @ApiErrors(TENANTS_ERRORS, 'SLUG_TAKEN', 'OWNER_NOT_FOUND')
  @Idempotent()
  async create(
    @Body() body: CreateTenantDto,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TenantView> {
    const { tenant, provisioned } = await this.tenants.create(body, changedBy(principal, sourceIp));
    void reply.status(provisioned ? 201 : 202).header('location', `/api/tenants/${tenant.id}`).header('etag', tenantEtag(tenant));
    return toTenantView(tenant, { includeSync: true });
  }

  @Get()
  @Authorize({ platform: 'platform:read' })
  @ApiOperation({ summary: 'List tenants (deleted ones only with status=DELETED)' })
  @ApiOkResponse({ type: TenantPage })
  async list(@Query() query: ListTenantsQuery): Promise<Page<TenantView>> {
    const page = await this.tenants.list({ status: query.status, q: query.q }, query);
    return { ...page, items: page.items.map((tenant) => toTenantView(tenant, { includeSync: true })) };
  }

  @Post('reconcile')
  @Authorize({ platform: 'platform:write' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Compare tenants with Logto organizations now and repair drift',
    description:
      'Recreates missing organizations, restores renamed ones, reports organizations claiming a tenant that does not exist ' +
      '(never deleted) and alerts on organization roles carrying platform:* scopes.',
  })
  @ApiOkResponse({ type: ReconcileReportView })
  @ApiErrors(TENANTS_ERRORS, 'LOGTO_NOT_CONFIGURED', 'LOGTO_UNAVAILABLE')
  reconcile(): Promise<ReconcileReportView> {
    return this.reconciler.reconcile();
  }

  @Get(':id')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:read' })
  @ApiOperation({ summary: 'A tenant (operators, or members of it with tenant:read)' })
  @ApiOkResponse({ type: TenantView, description: 'With an ETag header.' })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND', 'TENANT_PURGED')
  async get(@Param('id') id: string, @CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply): Promise<TenantView> {
    const operator = hasPlatformScope(logtoPrincipal(principal), 'platform:read');
    const tenant = await this.tenants.get(id);
    if (tenant.status === 'DELETED' && !operator) {
      throw tenantNotFound();
    }
    return this.withEtag(reply, tenant, operator);
  }

  @Patch(':id')
  @Authorize({ platform: 'platform:write', tenant: 'tenant:admin' })
  @ApiOperation({
    summary: 'Rename a tenant (and its Logto organization)',
    description:
      'platform:write, or tenant:admin of this tenant. Only `name` may be sent: suspending and resuming are their own ' +
      'routes (platform:write), and a `status` field is refused with 400 VALIDATION_FAILED.',
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: TenantView, description: 'With an ETag header.' })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND', 'TENANT_DELETED', 'CONFLICT', 'PRECONDITION_FAILED')
  async rename(
    @Param('id') id: string,
    @Body() body: UpdateTenantDto,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TenantView> {
    const caller = logtoPrincipal(principal);
    const tenant = await this.tenants.rename(id, body.name, changedBy(principal, sourceIp), ifMatch);
    return this.withEtag(reply, tenant, hasPlatformScope(caller, 'platform:read') || hasPlatformScope(caller, 'platform:write'));
  }

  @Post(':id/suspend')
  @Authorize({ platform: 'platform:write' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Suspend a tenant (ACTIVE → SUSPENDED)',
    description: 'A suspended tenant stays suspended (200, unchanged); a tenant in any other status is 409 INVALID_STATUS_TRANSITION.',
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: TenantView, description: 'With an ETag header.' })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND', 'INVALID_STATUS_TRANSITION', 'CONFLICT', 'PRECONDITION_FAILED')
  async suspend(
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TenantView> {
    return this.withEtag(reply, await this.tenants.suspend(id, changedBy(principal, sourceIp), ifMatch), true);
  }

  @Post(':id/resume')
  @Authorize({ platform: 'platform:write' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Resume a suspended tenant (SUSPENDED → ACTIVE)',
    description: 'An active tenant stays active (200, unchanged); a tenant in any other status is 409 INVALID_STATUS_TRANSITION.',
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: TenantView, description: 'With an ETag header.' })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND', 'INVALID_STATUS_TRANSITION', 'CONFLICT', 'PRECONDITION_FAILED')
  async resume(
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TenantView> {
    return this.withEtag(reply, await this.tenants.resume(id, changedBy(principal, sourceIp), ifMatch), true);
  }

  @Post(':id/sync')
  @Authorize({ platform: 'platform:write' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Retry the Logto sync of a tenant whose work failed permanently',
    description:
      'When Logto refused a tenant\'s pending work with a 4xx (e.g. 422 entity.relation_foreign_key_not_found), the tenant shows ' +
      '`sync.state` FAILED with Logto\'s code and message, and nothing retries it. Once the cause is fixed, this makes a new ' +
      'attempt now (audited as tenant.sync_retried) and answers with the tenant as it is afterwards. A tenant whose work has not ' +
      'failed is answered unchanged: transient failures (Logto down, 5xx, timeouts, 429) are retried by the reconciler with backoff.',
  })
  @ApiOkResponse({ type: TenantView, description: 'With an ETag header.' })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND')
  async retrySync(
    @Param('id') id: string,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TenantView> {
    return this.withEtag(reply, await this.tenants.retrySync(id, changedBy(principal, sourceIp)), true);
  }

  @Delete(':id')
  @Authorize({ platform: 'platform:write' })
  @HttpCode(204)
  @ApiOperation({
    summary: 'Soft-delete a tenant (status DELETED; its slug is never reused); restorable for TENANT_RETENTION_DAYS',
    description:
      'In one transaction: the tenant becomes DELETED, its current license is revoked (license.revoked), its agents are ' +
      'disabled (agent.disabled) and its browser sessions lose their organization tokens for it; forward-auth and the API ' +
      'refuse the tenant, its agents and its members from then on. The Logto organization and its members are kept until ' +
      'the purge, TENANT_RETENTION_DAYS later (POST /api/tenants/{id}/restore until then).',
  })
  @ApiHeader(IF_MATCH)
  @ApiNoContentResponse({ description: 'Deleted (or already deleted).' })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND', 'TENANT_PURGED', 'CONFLICT', 'PRECONDITION_FAILED')
  async delete(
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
  ): Promise<void> {
    await this.tenants.delete(id, changedBy(principal, sourceIp), ifMatch);
  }

  @Post(':id/restore')
  @Authorize({ platform: 'platform:write' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Restore a deleted tenant within TENANT_RETENTION_DAYS (DELETED → SUSPENDED)',
    description:
      'The tenant comes back SUSPENDED, with its Logto organization and members as they were (audited as tenant.restored, ' +
      'with its feed event). What the delete stopped stays stopped, and the answer lists it: the license stays revoked and ' +
      'the agents disabled until an operator resumes the tenant, issues a license and registers agents again. ' +
      '409 TENANT_NOT_DELETED for a tenant that is not deleted; 409 RETENTION_EXPIRED once the window is over (the purge ' +
      'takes it); 410 TENANT_PURGED after the purge.',
  })
  @ApiHeader(IF_MATCH)
  @ApiOkResponse({ type: RestoredTenantView, description: 'With the ETag header of the restored tenant.' })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND', 'TENANT_NOT_DELETED', 'RETENTION_EXPIRED', 'TENANT_PURGED', 'CONFLICT', 'PRECONDITION_FAILED')
  async restore(
    @Param('id') id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<RestoredTenantView> {
    const { tenant, stillStopped } = await this.tenants.restore(id, changedBy(principal, sourceIp), ifMatch);
    const nextSteps = [`POST /api/tenants/${tenant.id}/resume to make the tenant ACTIVE again`, ...stillStopped.map((item) => item.action)];
    return { tenant: this.withEtag(reply, tenant, true), stillStopped: [...stillStopped], nextSteps };
  }

  private withEtag(reply: FastifyReply, tenant: Tenant, operator: boolean): TenantView {
    void reply.header('etag', tenantEtag(tenant));
    return toTenantView(tenant, { includeSync: operator });
  }
}
