import { Body, Controller, Get, Header, HttpCode, Post, UseFilters } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ApiErrors, ClientAddress, Public } from '@app/service-core';
import { CurrentPrincipal, MachineAuth, MachinePrincipal, Principal } from '@app/security';
import { TENANTS_ERRORS } from '@app/tenants';
import { AgentAdminService } from '../agent-admin.service';
import { AgentRateLimited } from '../agent-rate-limit';
import { AgentRegistrationService } from '../agent-registration.service';
import { AgentTokensService } from '../agent-tokens.service';
import { AGENTS_ERRORS } from '../agents.errors';
import { AgentAccessTokenDto, AgentSelfDto, AgentTokenRequest, RegisterAgentRequest, RegisteredAgentDto } from './agents.dto';
import { CountsUnverified } from './unverified-credential.filter';

function machine(principal: Principal): MachinePrincipal {
  if (principal.scheme !== 'machine') {
    throw new Error('agent routes accept machine principals only');
  }
  return principal;
}

/** What agents call: registration with a bootstrap token, access tokens for assertions, and who they are. */
@ApiTags('agents')
@Controller('agents')
export class AgentsController {
  constructor(
    private readonly registration: AgentRegistrationService,
    private readonly tokens: AgentTokensService,
    private readonly admin: AgentAdminService,
  ) {}

  @Post('register')
  @MachineAuth('agent-bootstrap')
  @UseFilters(CountsUnverified('bootstrap_token'))
  @AgentRateLimited()
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Register an agent with a bootstrap token',
    description:
      'Bearer: a bootstrap token (agent-bootstrap+jwt). Consumes one use atomically; the tenant must be ACTIVE with a usable ' +
      'license (current, not revoked, within its end plus grace) and fewer enabled agents than its maxAgents (a refusal by ' +
      'tenant or license does not consume the use). A public key registered before (by any agent, in any tenant) is refused ' +
      'with 409 PUBLIC_KEY_REGISTERED, without consuming the use. Rate-limited per source IP.',
  })
  @ApiCreatedResponse({ type: RegisteredAgentDto })
  @ApiUnauthorizedResponse({
    description:
      '`TOKEN_EXPIRED`, `BOOTSTRAP_TOKEN_REVOKED`, `BOOTSTRAP_TOKEN_USED_UP`: the genuine bootstrap token may not be used any more (ask for a new one). ' +
      '`WRONG_TOKEN_KIND`: not a bootstrap token. `INVALID_TOKEN`: tampered, not this platform’s, or not this tenant’s.',
  })
  @ApiErrors(AGENTS_ERRORS, 'WEAK_PUBLIC_KEY', 'LICENSE_REQUIRED', 'LICENSE_LIMIT_REACHED', 'PUBLIC_KEY_REGISTERED')
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND', 'TENANT_NOT_ACTIVE')
  @ApiTooManyRequestsResponse({ description: 'Too many requests from this source IP.' })
  register(@Body() body: RegisterAgentRequest, @CurrentPrincipal() principal: Principal, @ClientAddress() sourceIp: string | undefined): Promise<RegisteredAgentDto> {
    return this.registration.register(machine(principal), body, sourceIp);
  }

  @Post('token')
  @Public()
  @AgentRateLimited()
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
  @ApiErrors(AGENTS_ERRORS, 'INVALID_ASSERTION', 'ASSERTION_EXPIRED', 'ASSERTION_WRONG_AUDIENCE')
  @ApiTooManyRequestsResponse({ description: 'Too many requests from this source IP.' })
  token(@Body() body: AgentTokenRequest, @ClientAddress() sourceIp: string | undefined): Promise<AgentAccessTokenDto> {
    return this.tokens.exchange(body.assertion, sourceIp);
  }

  @Get('me')
  @MachineAuth('agent')
  @UseFilters(CountsUnverified('agent_token'))
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'The calling agent, its tenant and a freshly signed license token',
    description: 'A tenant that is not ACTIVE gets no fresh license token: 409 TENANT_NOT_ACTIVE while it has a usable license.',
  })
  @ApiOkResponse({ type: AgentSelfDto })
  @ApiUnauthorizedResponse({ description: 'Invalid token, or the agent is disabled.' })
  @ApiErrors(TENANTS_ERRORS, 'TENANT_NOT_ACTIVE')
  me(@CurrentPrincipal() principal: Principal): Promise<AgentSelfDto> {
    return this.admin.self(machine(principal));
  }
}
