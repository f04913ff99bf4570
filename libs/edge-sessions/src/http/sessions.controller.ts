import { Controller, Delete, Get, Header, HttpCode, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { ApiErrors, ClientAddress, isUuid } from '@app/service-core';
import { actorOf, AuditTrail, Authenticated, Authorize, CurrentPrincipal, Principal } from '@app/security';
import { EDGE_SESSIONS_ERRORS, EdgeSessionError } from '../edge-sessions.errors';
import { EdgeSessions } from '../edge-sessions.service';

export class SessionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time' }) lastSeenAt!: string;
  @ApiProperty({ format: 'date-time', description: 'When the session ends unless used (idle expiry, never past its absolute expiry).' }) expiresAt!: string;
  @ApiPropertyOptional({ type: String, nullable: true }) userAgent!: string | null;
  @ApiPropertyOptional({ type: String, nullable: true }) sourceIp!: string | null;
}

export class SessionListDto {
  @ApiProperty({ type: [SessionDto] }) items!: SessionDto[];
}

export class EndedSessionsDto {
  @ApiProperty({ description: 'How many sessions were ended.' }) ended!: number;
}

class UserSubjectParams {
  /** A Logto user id (`sub`): Logto's ids are letters, digits, `_` and `-` (core's generateStandardId). */
  @IsString() @Length(1, 128) @Matches(/^[A-Za-z0-9_-]+$/, { message: 'sub must be a Logto user id (letters, digits, _ and -)' })
  sub!: string;
}

const ACTION_REVOKED = 'edge_sessions.revoked';

/** Browser sessions as their owners (bearer token for this API) and operators see them. */
@ApiTags('auth')
@Controller()
export class SessionsController {
  constructor(
    private readonly sessions: EdgeSessions,
    private readonly audit: AuditTrail,
  ) {}

  @Get('auth/sessions')
  @Authenticated()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'The caller’s own browser sessions', description: 'Sessions whose subject is the token’s sub, newest first (at most 100).' })
  @ApiOkResponse({ type: SessionListDto })
  async list(@CurrentPrincipal() principal: Principal): Promise<SessionListDto> {
    const sessions = await this.sessions.list(principal.subject);
    return {
      items: sessions.map((session) => ({
        id: session.id,
        createdAt: session.createdAt.toISOString(),
        lastSeenAt: session.lastSeenAt.toISOString(),
        expiresAt: session.expiresAt.toISOString(),
        userAgent: session.userAgent,
        sourceIp: session.sourceIp,
      })),
    };
  }

  @Delete('auth/sessions/:id')
  @Authenticated()
  @HttpCode(204)
  @ApiOperation({ summary: 'End one of the caller’s own browser sessions', description: 'Every replica refuses it within a second. Another user’s session is 404.' })
  @ApiNoContentResponse()
  @ApiErrors(EDGE_SESSIONS_ERRORS, 'NOT_FOUND')
  async end(@Param('id') id: string, @CurrentPrincipal() principal: Principal): Promise<void> {
    if (!isUuid(id) || !(await this.sessions.end(id, principal.subject))) {
      throw new EdgeSessionError('NOT_FOUND', 'You have no session with this id.');
    }
  }

  @Delete('users/:sub/sessions')
  @Authorize({ platform: 'platform:write' })
  @ApiOperation({ summary: 'End every browser session of a user (operators)', description: 'Audited as edge_sessions.revoked; every replica refuses them within a second. A user with no session is 404.' })
  @ApiOkResponse({ type: EndedSessionsDto })
  async endAllOf(@Param() params: UserSubjectParams, @CurrentPrincipal() principal: Principal, @ClientAddress() sourceIp: string | undefined): Promise<EndedSessionsDto> {
    const ended = await this.sessions.endAllOf(params.sub);
    if (ended === 0) {
      // Nothing ended, nothing to audit: like a DELETE of what is not there.
      throw new EdgeSessionError('NOT_FOUND', 'This user has no browser session to end.');
    }
    await this.audit.record({ tenantId: null, actor: actorOf(principal), action: ACTION_REVOKED, targetId: params.sub.slice(0, 64), sourceIp });
    return { ended };
  }
}
