import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ClientAddress, Idempotent, Page, PageOf, PageQuery } from '@app/service-core';
import { actorOf, actorShownTo, AuditEvent, AuditEventPage, AuditTrail, Authorize, CurrentPrincipal, Principal } from '@app/security';
import { TENANTS_ERRORS, TenantsService } from '@app/tenants';
import { AgentAdminService } from '../agent-admin.service';
import { AGENTS_ERRORS } from '../agents.errors';
import { BootstrapTokensService, BootstrapTokenView } from '../bootstrap-tokens.service';
import { AgentDto, BootstrapTokenDto, CreateBootstrapTokenRequest, MintedBootstrapTokenDto } from './agents.dto';
import { BootstrapTokenRestorer } from './bootstrap-token.restorer';

class BootstrapTokenPage extends PageOf(BootstrapTokenDto) {}
class AgentPage extends PageOf(AgentDto) {}

/** A bootstrap token as `reader` may see it: an operator who minted or revoked it is shown as the platform. */
function tokenShownTo(token: BootstrapTokenDto, reader: Principal): BootstrapTokenDto {
  return { ...token, createdBy: actorShownTo(token.createdBy, reader), revokedBy: token.revokedBy === null ? null : actorShownTo(token.revokedBy, reader) };
}

/** An agent as `reader` may see it: an operator who disabled it is shown as the platform. */
function agentShownTo(agent: AgentDto, reader: Principal): AgentDto {
  return { ...agent, disabledBy: agent.disabledBy === null ? null : actorShownTo(agent.disabledBy, reader) };
}

/** What operators and tenant admins do with a tenant's agents: bootstrap tokens, the agents, the audit trail. */
@ApiTags('agents')
@Controller('tenants')
export class TenantAgentsController {
  constructor(
    private readonly tokens: BootstrapTokensService,
    private readonly agents: AgentAdminService,
    private readonly tenants: TenantsService,
    private readonly audit: AuditTrail,
  ) {}

  @Post(':id/bootstrap-tokens')
  @Authorize({ platform: 'platform:write', tenant: 'tenant:admin' })
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Mint a bootstrap token for registering agents',
    description:
      'ttlSeconds 10–86400 (default 3600), maxUses 1–100 (default 1); the tenant must be ACTIVE. The token is in this response ' +
      'only: it is not stored. A replay with the same Idempotency-Key returns a newly signed token for the same row while it is usable.',
  })
  @ApiCreatedResponse({ type: MintedBootstrapTokenDto })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND', 'TENANT_NOT_ACTIVE')
  @ApiErrors(AGENTS_ERRORS, 'BOOTSTRAP_TOKEN_UNAVAILABLE')
  @Idempotent({ fields: ['token'], restoredBy: BootstrapTokenRestorer })
  async mint(
    @Param('id') id: string,
    @Body() body: CreateBootstrapTokenRequest,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
  ): Promise<BootstrapTokenView & { readonly token: string }> {
    const { view, token } = await this.tokens.mint(id, { ...body, createdBy: actorOf(principal), sourceIp });
    return { ...view, token };
  }

  @Get(':id/bootstrap-tokens')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:admin' })
  @ApiOperation({ summary: "A tenant's bootstrap tokens, newest first (never the tokens themselves)" })
  @ApiOkResponse({ type: BootstrapTokenPage })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND')
  async listTokens(@Param('id') id: string, @Query() query: PageQuery, @CurrentPrincipal() principal: Principal): Promise<Page<BootstrapTokenDto>> {
    const page = await this.tokens.list(id, query);
    return { ...page, items: page.items.map((token) => tokenShownTo(token, principal)) };
  }

  @Delete(':id/bootstrap-tokens/:tokenId')
  @Authorize({ platform: 'platform:write', tenant: 'tenant:admin' })
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a bootstrap token', description: 'Registrations with it fail from now on; revoking twice is harmless.' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiErrors(AGENTS_ERRORS, 'NOT_FOUND')
  async revokeToken(
    @Param('id') id: string,
    @Param('tokenId') tokenId: string,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
  ): Promise<void> {
    await this.tokens.revoke(id, tokenId, actorOf(principal), sourceIp);
  }

  @Get(':id/agents')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:admin' })
  @ApiOperation({ summary: "A tenant's agents, newest first" })
  @ApiOkResponse({ type: AgentPage })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND')
  async listAgents(@Param('id') id: string, @Query() query: PageQuery, @CurrentPrincipal() principal: Principal): Promise<Page<AgentDto>> {
    const page = await this.agents.list(id, query);
    return { ...page, items: page.items.map((agent) => agentShownTo(agent, principal)) };
  }

  @Post(':id/agents/:agentId/disable')
  @Authorize({ platform: 'platform:write', tenant: 'tenant:admin' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Disable an agent',
    description: 'It gets no new access tokens, /api/agents/me refuses it, and forward-auth stops accepting its tokens within a second.',
  })
  @ApiOkResponse({ type: AgentDto })
  @ApiErrors(AGENTS_ERRORS, 'NOT_FOUND')
  async disable(
    @Param('id') id: string,
    @Param('agentId') agentId: string,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
  ): Promise<AgentDto> {
    return agentShownTo(await this.agents.disable(id, agentId, actorOf(principal), sourceIp), principal);
  }

  @Get(':id/audit-events')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:admin' })
  @ApiOperation({ summary: "A tenant's audit trail (tenant changes, licenses, agent credentials), newest first" })
  @ApiOkResponse({ type: AuditEventPage })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND')
  async listAudit(@Param('id') id: string, @Query() query: PageQuery, @CurrentPrincipal() principal: Principal): Promise<Page<AuditEvent>> {
    // 404 unless the tenant exists (deleted ones are shown to operators, as everywhere).
    await this.tenants.get(id);
    return this.audit.list(id, query, principal);
  }
}
