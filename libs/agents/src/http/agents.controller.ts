import { Body, Controller, Get, Header, HttpCode, Post, Req, UseFilters } from '@nestjs/common';
import { ApiCreatedResponse, ApiForbiddenResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Throttle } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { Public } from '@app/service-core';
import { CurrentPrincipal, MachineAuth, MachinePrincipal, Principal } from '@app/security';
import { AgentsService } from '../agents.service';
import { agentRateLimit, SourceIpResolver } from '../source-ip.resolver';
import { AgentAuthFailureFilter, markTokenVerified } from './agent-auth-failure.filter';
import { AgentAccessTokenDto, AgentSelfDto, AgentTokenRequest, RegisterAgentRequest, RegisteredAgentDto } from './agents.dto';

function machine(principal: Principal): MachinePrincipal {
  if (principal.scheme !== 'machine') {
    throw new Error('agent routes accept machine principals only');
  }
  return principal;
}

/** What agents call: registration with a bootstrap token, access tokens for assertions, and who they are. */
@ApiTags('agents')
@Controller('agents')
@UseFilters(AgentAuthFailureFilter)
export class AgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly sourceIp: SourceIpResolver,
  ) {}

  @Post('register')
  @MachineAuth('agent-bootstrap')
  @Throttle(agentRateLimit)
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Register an agent with a bootstrap token',
    description:
      'Bearer: a bootstrap token (agent-bootstrap+jwt). Consumes one use atomically; the tenant must be ACTIVE with a current, ' +
      'unexpired license and fewer enabled agents than its maxAgents (a refusal by license does not consume the use). ' +
      'Rate-limited per source IP.',
  })
  @ApiCreatedResponse({ type: RegisteredAgentDto })
  @ApiUnauthorizedResponse({ description: '`INVALID_TOKEN`: expired, revoked, used up, tampered or not this tenant’s.' })
  @ApiForbiddenResponse({ description: '`LICENSE_REQUIRED`, `LICENSE_LIMIT_REACHED` or `TENANT_NOT_ACTIVE`.' })
  @ApiTooManyRequestsResponse({ description: 'Too many requests from this source IP.' })
  register(@Body() body: RegisterAgentRequest, @CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<RegisteredAgentDto> {
    markTokenVerified(request);
    return this.agents.register(machine(principal), body, this.sourceIp.of(request));
  }

  @Post('token')
  @Public()
  @Throttle(agentRateLimit)
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Trade an assertion signed with the agent’s own key for an access token',
    description:
      'The assertion is the credential: a JWT signed (EdDSA) with the private key whose public half the agent registered; ' +
      'iss = sub = agentId, aud = `${PUBLIC_URL}/api/agents/token`, a jti never used before, iat not in the future, exp at most 5 minutes ' +
      'ahead. A disabled agent, or one of a tenant that is not ACTIVE, gets 401. Rate-limited per source IP.',
  })
  @ApiOkResponse({ type: AgentAccessTokenDto })
  @ApiUnauthorizedResponse({ description: '`INVALID_ASSERTION`.' })
  @ApiTooManyRequestsResponse({ description: 'Too many requests from this source IP.' })
  token(@Body() body: AgentTokenRequest, @Req() request: FastifyRequest): Promise<AgentAccessTokenDto> {
    return this.agents.exchange(body.assertion, this.sourceIp.of(request));
  }

  @Get('me')
  @MachineAuth('agent')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'The calling agent, its tenant and a freshly signed license token' })
  @ApiOkResponse({ type: AgentSelfDto })
  @ApiUnauthorizedResponse({ description: 'Invalid token, or the agent is disabled.' })
  me(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest): Promise<AgentSelfDto> {
    markTokenVerified(request);
    return this.agents.me(machine(principal));
  }
}
