import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Authenticated } from './access-policy';
import { isOperator } from './evaluate-access';
import { LogtoPrincipal } from './principal';
import { CurrentPrincipal } from './request-principal';
import { TENANT_ACCESS_DIRECTORY, TenantAccessDirectory } from './tenant-access';

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
  constructor(@Inject(TENANT_ACCESS_DIRECTORY) private readonly tenants: TenantAccessDirectory) {}

  /** Who the API thinks the caller is: the first thing to try when a token misbehaves. */
  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The calling principal as this API sees it' })
  @ApiOkResponse({ type: CallerView })
  async me(@CurrentPrincipal() principal: LogtoPrincipal): Promise<CallerView> {
    const tenant = principal.organizationId === undefined ? undefined : await this.tenants.byOrganization(principal.organizationId);
    return {
      kind: principal.kind,
      subject: principal.subject,
      clientId: principal.clientId,
      scopes: [...principal.scopes].sort(),
      organizationId: principal.organizationId,
      // A deleted tenant has no members any more (as evaluateAccess says).
      tenantId: tenant === undefined || tenant.status === 'DELETED' ? undefined : tenant.id,
      operator: isOperator(principal),
      expiresAt: principal.expiresAt.toISOString(),
    };
  }
}
