import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { Page, PageOf, PageQuery } from '@app/service-core';
import { Authorize } from '../access/access-policy';
import { Principal } from '../access/principal';
import { CurrentPrincipal } from '../access/request-principal';
import { AuditEvent } from './audit-event.entity';
import { AuditTrail } from './audit-trail';

export class AuditEventDto {
  @ApiProperty() id!: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) tenantId!: string | null;
  @ApiProperty({
    description:
      'Who acted: `operator:<kind>:<sub>`, `user:<sub>`, `app:<sub>`, `agent:<id>`, `bootstrap_token:<id>` or `system:reconciler`. ' +
      "To tenant callers an operator's action is shown as `platform` (and its sourceIp as null).",
  })
  actor!: string;
  @ApiProperty({ example: 'tenant.suspended', description: '`<object>.<verb>`: tenant.*, license.issued/revoked, agent.*, bootstrap_token.*' })
  action!: string;
  @ApiProperty({ nullable: true, type: String }) targetId!: string | null;
  @ApiProperty({ nullable: true, type: String }) sourceIp!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'expired' }) reason!: string | null;
  @ApiProperty() createdAt!: Date;
}

export class AuditEventPage extends PageOf(AuditEventDto) {}

export class AuditEventsQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid', description: "Only this tenant's records." })
  @IsOptional()
  @IsUUID()
  tenantId?: string;

  // 128, like every free-text query parameter: Logto subjects and client ids are far shorter.
  @ApiPropertyOptional({ maxLength: 128, description: 'Only records of this actor (exact), e.g. `operator:user:<sub>`.' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  actor?: string;

  @ApiPropertyOptional({ maxLength: 64, description: 'Only records of this action (exact), e.g. `tenant.suspended`.' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  action?: string;
}

/** The operators' view of the whole audit trail, across tenants. Tenants' own view is per tenant (agents lib). */
@ApiTags('audit')
@Controller('audit-events')
export class AuditEventsController {
  constructor(private readonly audit: AuditTrail) {}

  @Get()
  @Authorize({ platform: 'platform:read' })
  @ApiOperation({ summary: 'The audit trail across tenants, newest first, filtered by tenant, actor and action (exact matches)' })
  @ApiOkResponse({ type: AuditEventPage })
  list(@Query() query: AuditEventsQuery, @CurrentPrincipal() principal: Principal): Promise<Page<AuditEvent>> {
    return this.audit.search({ tenantId: query.tenantId?.toLowerCase(), actor: query.actor, action: query.action }, query, principal);
  }
}
