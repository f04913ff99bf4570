import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Query, Req, UseInterceptors } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Idempotent, Page, PageOf, PageQuery } from '@app/service-core';
import { Authorize, CurrentPrincipal, Principal } from '@app/security';
import { AgentsService } from '../agents.service';
import { AuditLog } from '../audit-log';
import { BootstrapTokensService } from '../bootstrap-tokens.service';
import { SourceIpResolver } from '../source-ip.resolver';
import { AgentDto, AuditEventDto, BootstrapTokenDto, CreateBootstrapTokenRequest, MintedBootstrapTokenDto } from './agents.dto';
import { BootstrapTokenRevealInterceptor, stashMintedToken } from './token-reveal.interceptor';

class BootstrapTokenPage extends PageOf(BootstrapTokenDto) {}
class AgentPage extends PageOf(AgentDto) {}
class AuditEventPage extends PageOf(AuditEventDto) {}

/** Who acted, as recorded in created_by / revoked_by / disabled_by and the audit trail. */
function actorOf(principal: Principal): string {
  return principal.scheme === 'logto' ? `${principal.kind}:${principal.subject}` : `agent:${principal.subject}`;
}

/** What operators and tenant admins do with a tenant's agents: bootstrap tokens, the agents, the audit trail. */
@ApiTags('agents')
@Controller('tenants')
export class TenantAgentsController {
  constructor(
    private readonly tokens: BootstrapTokensService,
    private readonly agents: AgentsService,
    private readonly audit: AuditLog,
    private readonly sourceIp: SourceIpResolver,
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
  @ApiNotFoundResponse({ description: 'No such tenant.' })
  @ApiConflictResponse({ description: '`TENANT_NOT_ACTIVE`, `BOOTSTRAP_TOKEN_UNAVAILABLE` (replay of an expired or revoked token), or `IDEMPOTENCY_IN_PROGRESS`.' })
  @Idempotent()
  // Below @Idempotent(), so it wraps IdempotencyInterceptor: the stored response never holds the token.
  @UseInterceptors(BootstrapTokenRevealInterceptor)
  async mint(
    @Param('id') id: string,
    @Body() body: CreateBootstrapTokenRequest,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<BootstrapTokenDto> {
    const { token, ...view } = await this.tokens.mint(id, { ...body, createdBy: actorOf(principal), sourceIp: this.sourceIp.of(request) });
    stashMintedToken(request, token);
    return view;
  }

  @Get(':id/bootstrap-tokens')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:admin' })
  @ApiOperation({ summary: "A tenant's bootstrap tokens, newest first (never the tokens themselves)" })
  @ApiOkResponse({ type: BootstrapTokenPage })
  @ApiNotFoundResponse({ description: 'No such tenant.' })
  listTokens(@Param('id') id: string, @Query() query: PageQuery): Promise<Page<BootstrapTokenDto>> {
    return this.tokens.list(id, query);
  }

  @Delete(':id/bootstrap-tokens/:tokenId')
  @Authorize({ platform: 'platform:write', tenant: 'tenant:admin' })
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke a bootstrap token', description: 'Registrations with it fail from now on; revoking twice is harmless.' })
  @ApiNoContentResponse({ description: 'Revoked.' })
  @ApiNotFoundResponse({ description: 'No such tenant or token.' })
  async revokeToken(
    @Param('id') id: string,
    @Param('tokenId') tokenId: string,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<void> {
    await this.tokens.revoke(id, tokenId, actorOf(principal), this.sourceIp.of(request));
  }

  @Get(':id/agents')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:admin' })
  @ApiOperation({ summary: "A tenant's agents, newest first" })
  @ApiOkResponse({ type: AgentPage })
  @ApiNotFoundResponse({ description: 'No such tenant.' })
  listAgents(@Param('id') id: string, @Query() query: PageQuery): Promise<Page<AgentDto>> {
    return this.agents.list(id, query);
  }

  @Post(':id/agents/:agentId/disable')
  @Authorize({ platform: 'platform:write', tenant: 'tenant:admin' })
  @HttpCode(200)
  @ApiOperation({
    summary: 'Disable an agent',
    description: 'It gets no new access tokens, /api/agents/me refuses it, and forward-auth stops accepting its tokens within a second.',
  })
  @ApiOkResponse({ type: AgentDto })
  @ApiNotFoundResponse({ description: 'No such tenant or agent.' })
  disable(
    @Param('id') id: string,
    @Param('agentId') agentId: string,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<AgentDto> {
    return this.agents.disable(id, agentId, actorOf(principal), this.sourceIp.of(request));
  }

  @Get(':id/audit-events')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:admin' })
  @ApiOperation({ summary: "A tenant's audit trail of agent credentials, newest first" })
  @ApiOkResponse({ type: AuditEventPage })
  @ApiNotFoundResponse({ description: 'No such tenant.' })
  async listAudit(@Param('id') id: string, @Query() query: PageQuery): Promise<Page<AuditEventDto>> {
    await this.agents.tenantExists(id);
    return this.audit.list(id, query);
  }
}
