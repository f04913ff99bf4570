import { Body, Controller, Delete, Get, Header, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, ClientAddress, Page, PageQuery } from '@app/service-core';
import { actorOf, Authorize, CurrentPrincipal, Principal } from '@app/security';
import { TENANTS_ERRORS } from '@app/tenants';
import { InvitationsService, InvitationView } from '../invitations.service';
import { MEMBERS_ERRORS } from '../members.errors';
import { MembersService, MemberView } from '../members.service';
import { granterOf } from '../role-rules';
import {
  InvitationDto,
  InvitationPage,
  InviteRequest,
  MemberDto,
  MemberPage,
  ReplaceRolesRequest,
  SentInvitationDto,
  TenantInvitationParams,
  TenantMemberParams,
} from './members.dto';

/** The inviter Logto records: the calling user, unless an operator (the platform invites) or an app calls. */
function inviterOf(principal: Principal): string | undefined {
  return principal.scheme === 'logto' && principal.kind === 'user' && principal.organizationId !== undefined ? principal.subject : undefined;
}

/**
 * A tenant's members and invitations: a thin, authorized bridge to Logto's organization APIs (Logto keeps the
 * memberships, their roles and the invitations). Operators act with platform scopes, tenant admins with tenant:admin.
 */
@ApiTags('members')
@Controller('tenants')
export class MembersController {
  constructor(
    private readonly members: MembersService,
    private readonly invitations: InvitationsService,
  ) {}

  @Get(':id/members')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:read' })
  @ApiOperation({ summary: "A tenant's members with their organization roles, by name", description: 'Paged as Logto pages (page, pageSize ≤ 100).' })
  @ApiOkResponse({ type: MemberPage })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND')
  @ApiErrors(MEMBERS_ERRORS, 'TENANT_NOT_PROVISIONED', 'LOGTO_NOT_CONFIGURED', 'LOGTO_UNAVAILABLE', 'LOGTO_REFUSED')
  list(@Param('id') id: string, @Query() query: PageQuery): Promise<Page<MemberView>> {
    return this.members.list(id, query);
  }

  @Put(':id/members/:userId/roles')
  @Authorize({ platform: 'platform:write', tenant: 'tenant:admin' })
  @ApiOperation({
    summary: "Replace a member's organization roles",
    description:
      'The member holds exactly these roles afterwards; their tokens issued before are refused at once (the next one carries the new scopes). ' +
      'Refused: unknown roles (422, listing the valid ones), a role carrying platform:* scopes, adding or taking away a role whose scopes the caller ' +
      'does not hold (operators may), demoting the last owner.',
  })
  @ApiOkResponse({ type: MemberDto })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND')
  @ApiErrors(MEMBERS_ERRORS, 'MEMBER_NOT_FOUND', 'UNKNOWN_ROLE', 'ROLE_ABOVE_CALLER', 'PLATFORM_SCOPED_ROLE', 'LAST_OWNER', 'TENANT_NOT_PROVISIONED', 'LOGTO_NOT_CONFIGURED', 'LOGTO_UNAVAILABLE', 'LOGTO_REFUSED')
  replaceRoles(
    @Param() params: TenantMemberParams,
    @Body() body: ReplaceRolesRequest,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
  ): Promise<MemberView> {
    return this.members.replaceRoles(params.id, params.userId, body.roles, granterOf(principal), { actor: actorOf(principal), sourceIp });
  }

  @Delete(':id/members/:userId')
  @Authorize({ platform: 'platform:write', tenant: 'tenant:admin' })
  @HttpCode(204)
  @ApiOperation({
    summary: 'Remove a member from the tenant',
    description: 'Their tokens for this tenant are refused within a second on every replica; a member.removed event is published. The last owner cannot be removed.',
  })
  @ApiNoContentResponse({ description: 'Removed.' })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND')
  @ApiErrors(MEMBERS_ERRORS, 'MEMBER_NOT_FOUND', 'ROLE_ABOVE_CALLER', 'LAST_OWNER', 'TENANT_NOT_PROVISIONED', 'LOGTO_NOT_CONFIGURED', 'LOGTO_UNAVAILABLE', 'LOGTO_REFUSED')
  async remove(@Param() params: TenantMemberParams, @CurrentPrincipal() principal: Principal, @ClientAddress() sourceIp: string | undefined): Promise<void> {
    await this.members.remove(params.id, params.userId, granterOf(principal), { actor: actorOf(principal), sourceIp });
  }

  @Post(':id/invitations')
  @Authorize({ platform: 'platform:write', tenant: 'tenant:admin' })
  @HttpCode(201)
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Invite someone by email with an organization role',
    description:
      'A Logto organization invitation, valid for 7 days, and its email sent by Logto with the link to the accept page on the edge sign-in ' +
      '(/api/auth/invitations/{invitationId}). When the email could not be sent (e.g. Logto has no email connector) the invitation exists all the ' +
      'same: delivery.sent is false with the reason, and POST …/invitations/{invitationId}/message sends it again. The tenant must be ACTIVE.',
  })
  @ApiCreatedResponse({ type: SentInvitationDto })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND', 'TENANT_NOT_ACTIVE')
  @ApiErrors(
    MEMBERS_ERRORS,
    'UNKNOWN_ROLE',
    'ROLE_ABOVE_CALLER',
    'PLATFORM_SCOPED_ROLE',
    'ALREADY_MEMBER',
    'INVITATION_PENDING',
    'TENANT_NOT_PROVISIONED',
    'LOGTO_NOT_CONFIGURED',
    'LOGTO_UNAVAILABLE',
    'LOGTO_REFUSED',
  )
  invite(
    @Param('id') id: string,
    @Body() body: InviteRequest,
    @CurrentPrincipal() principal: Principal,
    @ClientAddress() sourceIp: string | undefined,
  ): Promise<SentInvitationDto> {
    return this.invitations.invite(id, body, granterOf(principal), inviterOf(principal), { actor: actorOf(principal), sourceIp });
  }

  @Get(':id/invitations')
  @Authorize({ platform: 'platform:read', tenant: 'tenant:admin' })
  @ApiOperation({ summary: "A tenant's invitations with their status, newest first" })
  @ApiOkResponse({ type: InvitationPage })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND')
  @ApiErrors(MEMBERS_ERRORS, 'TENANT_NOT_PROVISIONED', 'LOGTO_NOT_CONFIGURED', 'LOGTO_UNAVAILABLE', 'LOGTO_REFUSED')
  listInvitations(@Param('id') id: string, @Query() query: PageQuery): Promise<Page<InvitationView>> {
    return this.invitations.list(id, query);
  }

  @Post(':id/invitations/:invitationId/message')
  @Authorize({ platform: 'platform:write', tenant: 'tenant:admin' })
  @HttpCode(200)
  @ApiOperation({ summary: "Send a pending invitation's email again", description: 'delivery says whether Logto sent it this time.' })
  @ApiOkResponse({ type: SentInvitationDto })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND', 'TENANT_NOT_ACTIVE')
  @ApiErrors(MEMBERS_ERRORS, 'INVITATION_NOT_FOUND', 'INVITATION_EXPIRED', 'INVITATION_REVOKED', 'INVITATION_ALREADY_ACCEPTED', 'LOGTO_NOT_CONFIGURED', 'LOGTO_UNAVAILABLE', 'LOGTO_REFUSED')
  resend(@Param() params: TenantInvitationParams, @CurrentPrincipal() principal: Principal, @ClientAddress() sourceIp: string | undefined): Promise<SentInvitationDto> {
    return this.invitations.resend(params.id, params.invitationId, { actor: actorOf(principal), sourceIp });
  }

  @Delete(':id/invitations/:invitationId')
  @Authorize({ platform: 'platform:write', tenant: 'tenant:admin' })
  @ApiOperation({ summary: 'Revoke a pending invitation', description: 'Logto marks it Revoked: its link no longer works. Final invitations (accepted, expired, revoked) are refused.' })
  @ApiOkResponse({ type: InvitationDto })
  @ApiErrors(TENANTS_ERRORS, 'NOT_FOUND')
  @ApiErrors(MEMBERS_ERRORS, 'INVITATION_NOT_FOUND', 'INVITATION_EXPIRED', 'INVITATION_REVOKED', 'INVITATION_ALREADY_ACCEPTED', 'LOGTO_NOT_CONFIGURED', 'LOGTO_UNAVAILABLE', 'LOGTO_REFUSED')
  revoke(@Param() params: TenantInvitationParams, @CurrentPrincipal() principal: Principal, @ClientAddress() sourceIp: string | undefined): Promise<InvitationView> {
    return this.invitations.revoke(params.id, params.invitationId, { actor: actorOf(principal), sourceIp });
  }
}
