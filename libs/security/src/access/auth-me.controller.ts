import { Controller, Get, Inject, Optional } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Authenticated } from './access-policy';
import { LogtoPrincipal } from './principal';
import { CurrentPrincipal } from './request-principal';
import { TENANT_ORGANIZATIONS, TenantOrganizations } from './tenant-binding';

export class CallerView {
  @ApiProperty({ enum: ['user', 'app'], description: '`app` for machine-to-machine tokens (sub === client_id)' })
  kind!: 'user' | 'app';
  @ApiProperty() subject!: string;
  @ApiProperty() clientId!: string;
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiPropertyOptional({ description: 'Logto organization of an organization-scoped token' }) organizationId?: string;
  @ApiPropertyOptional({ description: 'The tenant that organization maps to, when it does' }) tenantId?: string;
  @ApiProperty({ description: 'Whether platform scopes in this token count (tokens not bound to an organization)' }) operator!: boolean;
  @ApiProperty() expiresAt!: string;
}

@ApiTags('auth')
@Controller('auth')
export class AuthMeController {
  constructor(@Optional() @Inject(TENANT_ORGANIZATIONS) private readonly tenants?: TenantOrganizations) {}

  /** Who the API thinks the caller is: the first thing to try when a token misbehaves. */
  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The calling principal as this API sees it' })
  @ApiOkResponse({ type: CallerView })
  async me(@CurrentPrincipal() principal: LogtoPrincipal): Promise<CallerView> {
    const tenantId = principal.organizationId === undefined ? undefined : await this.tenants?.tenantOf(principal.organizationId);
    return {
      kind: principal.kind,
      subject: principal.subject,
      clientId: principal.clientId,
      scopes: [...principal.scopes].sort(),
      organizationId: principal.organizationId,
      tenantId,
      operator: principal.organizationId === undefined && [...principal.scopes].some((scope) => scope.startsWith('platform:')),
      expiresAt: principal.expiresAt.toISOString(),
    };
  }
}
