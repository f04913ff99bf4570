import { Controller, Get, Inject, Param, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiFoundResponse, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrors, Public, sendHtmlPage } from '@app/service-core';
import { TENANTS_ERRORS } from '@app/tenants';
import { acceptUrl, INVITATION_BROWSER, type InvitationBrowser, signInUrl } from '../invitation-browser';
import { InvitationsService } from '../invitations.service';
import { MEMBERS_ERRORS, MembersError } from '../members.errors';
import { InvitationParams } from './members.dto';
import { InvitationPageFilter } from './invitation-page.filter';
import { confirmPage, joinedPage } from './invitation-pages';

const REFUSALS = [
  'ACCEPT_PAGE_DISABLED',
  'INVITATION_NOT_FOUND',
  'INVITATION_EXPIRED',
  'INVITATION_REVOKED',
  'INVITATION_ALREADY_ACCEPTED',
  'INVITATION_FOR_ANOTHER_USER',
  'LOGTO_NOT_CONFIGURED',
  'LOGTO_UNAVAILABLE',
  'LOGTO_REFUSED',
] as const;

/**
 * Accepting an invitation, the application's part in Logto OSS: the link in the invitation email lands here, on the
 * edge sign-in host. Not signed in → the edge sign-in, returning here. Signed in → a page naming the tenant with a
 * form; posting it accepts the invitation in Logto for the signed-in user (who must hold the invited email), and Logto
 * adds the membership. Someone without a Logto account signs up through Logto's own sign-in experience first.
 */
@ApiTags('auth')
@Controller('auth/invitations')
@Public()
@UseFilters(InvitationPageFilter)
export class InvitationAcceptController {
  constructor(
    private readonly invitations: InvitationsService,
    @Inject(INVITATION_BROWSER) private readonly browser: InvitationBrowser,
  ) {}

  @Get(':invitationId')
  @ApiOperation({
    summary: 'The accept page of an invitation (HTML)',
    description: 'Without a browser session: a redirect to the edge sign-in, returning here. With one: what the invitation is and a form to accept it; refusals are HTML pages for browsers.',
  })
  @ApiOkResponse({ description: 'The confirmation page.', content: { 'text/html': {} } })
  @ApiFoundResponse({ description: 'To /api/auth/login, returning here.' })
  @ApiErrors(MEMBERS_ERRORS, ...REFUSALS)
  @ApiErrors(TENANTS_ERRORS, 'TENANT_NOT_ACTIVE')
  async show(@Param() params: InvitationParams, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { origin, here, userId } = await this.visitor(params.invitationId, request);
    if (userId === undefined) {
      void reply.header('cache-control', 'no-store').redirect(signInUrl(origin, here), 302);
      return;
    }
    const { tenant, invitation } = await this.invitations.preview(params.invitationId, userId);
    sendHtmlPage(reply, confirmPage(tenant.name, invitation.roles, here));
  }

  @Post(':invitationId')
  @ApiOperation({
    summary: 'Accept an invitation (the form of the accept page)',
    description:
      'From the accept page only (Origin must be the edge sign-in origin). The invitation must be pending, unexpired, of an ACTIVE tenant and addressed ' +
      'to the primary email of the signed-in user; Logto then adds the membership with the invited roles. Answers a page linking to the tenant.',
  })
  @ApiOkResponse({ description: 'The “You joined” page.', content: { 'text/html': {} } })
  @ApiResponse({ status: 303, description: 'Not signed in: to /api/auth/login, returning to the accept page.' })
  @ApiErrors(MEMBERS_ERRORS, ...REFUSALS, 'FOREIGN_ORIGIN')
  @ApiErrors(TENANTS_ERRORS, 'TENANT_NOT_ACTIVE')
  async accept(@Param() params: InvitationParams, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { origin, here, userId } = await this.visitor(params.invitationId, request);
    // A cross-site form cannot make a signed-in browser accept (SameSite=Lax sends the cookie on top-level POSTs too).
    if (request.headers.origin !== origin) {
      throw new MembersError('FOREIGN_ORIGIN', 'Accept the invitation from its page.');
    }
    if (userId === undefined) {
      void reply.header('cache-control', 'no-store').redirect(signInUrl(origin, here), 303);
      return;
    }
    const { tenant } = await this.invitations.accept(params.invitationId, userId);
    sendHtmlPage(reply, joinedPage(tenant.name, this.browser.tenantUrl(tenant.slug)));
  }

  private async visitor(invitationId: string, request: FastifyRequest): Promise<{ origin: string; here: string; userId: string | undefined }> {
    const origin = this.browser.publicAuthOrigin;
    if (origin === undefined) {
      throw new MembersError('ACCEPT_PAGE_DISABLED', 'Browser sign-in is not configured here (LOGTO_EDGE_APP_ID, TENANT_BASE_DOMAIN).');
    }
    return { origin, here: acceptUrl(origin, invitationId), userId: await this.browser.signedInUser(request.headers.cookie) };
  }
}
