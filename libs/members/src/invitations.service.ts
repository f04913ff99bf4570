import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import {
  isMissingEmailConnector,
  LogtoConflictError,
  LogtoManagementClient,
  LogtoNotFoundError,
  LogtoResponseError,
  LogtoUnavailableError,
  type OrganizationInvitation,
} from '@app/logto-client';
import { AuditTrail, type ChangedBy } from '@app/security';
import { Page, PageQuery, toPage } from '@app/service-core';
import { MemberRemovals, type Tenant, TenantsError, TenantsService } from '@app/tenants';
import { acceptUrl, INVITATION_BROWSER, type InvitationBrowser } from './invitation-browser';
import { asMembersError, viaLogto } from './logto-failures';
import { MembersError } from './members.errors';
import { organizationOf } from './members.service';
import { type RoleGranter, RoleRules } from './role-rules';

/** How long an invitation may be accepted: seven days, as Logto's console proposes. */
const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export const INVITATION_STATUSES = ['Pending', 'Accepted', 'Expired', 'Revoked'] as const;

/** Why an invitation's email was not sent (it exists all the same and can be re-sent). */
export const DELIVERY_FAILURES = ['NO_EMAIL_CONNECTOR', 'ACCEPT_PAGE_DISABLED', 'LOGTO_UNAVAILABLE', 'LOGTO_REFUSED'] as const;
export type DeliveryFailure = (typeof DELIVERY_FAILURES)[number];

export type InvitationDelivery = { readonly sent: true } | { readonly sent: false; readonly reason: DeliveryFailure; readonly detail: string };

/** An invitation as this API shows it. The inviter is the Logto user who invited, null when an operator did. */
export interface InvitationView {
  readonly id: string;
  readonly email: string;
  readonly roles: string[];
  readonly status: OrganizationInvitation['status'];
  readonly inviterId: string | null;
  readonly acceptedUserId: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
}

function invitationView(invitation: OrganizationInvitation): InvitationView {
  return {
    id: invitation.id,
    email: invitation.invitee,
    roles: invitation.organizationRoles.map((role) => role.name).sort(),
    status: invitation.status,
    inviterId: invitation.inviterId,
    acceptedUserId: invitation.acceptedUserId,
    createdAt: new Date(invitation.createdAt).toISOString(),
    expiresAt: new Date(invitation.expiresAt).toISOString(),
  };
}

/** Logto's invitation ids are 21 characters of [0-9a-z]; anything far from it is no invitation (no Logto call). */
const INVITATION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Organization invitations through Logto (which keeps them, their status and their expiry). Created without Logto's
 * message, then the message is asked for separately: Logto rolls an invitation back when its message fails, and an
 * invitation without an email connector is still worth keeping (the answer says it was not sent; it can be re-sent).
 */
@Injectable()
export class InvitationsService {
  private readonly logger = new Logger('Invitations');

  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly logto: LogtoManagementClient,
    private readonly audit: AuditTrail,
    private readonly removals: MemberRemovals,
    @Inject(INVITATION_BROWSER) private readonly browser: InvitationBrowser,
  ) {}

  /**
   * Invites `email` with `roleName` (checked by RoleRules as a grant) into an ACTIVE tenant; the invitation expires
   * after INVITATION_TTL_MS. ALREADY_MEMBER when a member has that primary email, INVITATION_PENDING when a pending
   * invitation for it exists (Logto allows one per organization and invitee).
   */
  async invite(tenantId: string, input: { email: string; role: string }, granter: RoleGranter, inviterId: string | undefined, by: ChangedBy): Promise<{ invitation: InvitationView; delivery: InvitationDelivery }> {
    const tenant = await this.tenants.getActive(tenantId);
    const organizationId = organizationOf(tenant);
    const rules = new RoleRules(await viaLogto(() => this.logto.listOrganizationRoles()));
    const roles = rules.resolve([input.role]);
    rules.assertNoPlatformScope(roles);
    rules.assertWithinReach([input.role], granter);
    const members = await viaLogto(() => this.logto.listAllOrganizationUsers(organizationId));
    if (members.some((member) => member.primaryEmail?.toLowerCase() === input.email.toLowerCase())) {
      throw new MembersError('ALREADY_MEMBER', 'A member of this tenant already has this email address.');
    }
    const pending = await viaLogto(() => this.logto.listOrganizationInvitations({ organizationId }));
    if (pending.some((invitation) => invitation.status === 'Pending' && invitation.invitee.toLowerCase() === input.email.toLowerCase())) {
      throw new MembersError('INVITATION_PENDING', 'A pending invitation for this email exists: re-send it, or revoke it first.');
    }
    let invitation: OrganizationInvitation;
    try {
      invitation = await this.logto.createOrganizationInvitation({
        organizationId,
        invitee: input.email,
        inviterId,
        expiresAt: Date.now() + INVITATION_TTL_MS,
        organizationRoleIds: roles.map((role) => role.id),
      });
    } catch (error) {
      // The partial unique index (one Pending per organization and invitee) when two invitations race.
      if (error instanceof LogtoConflictError && error.code === 'entity.unique_integrity_violation') {
        throw new MembersError('INVITATION_PENDING', 'A pending invitation for this email exists: re-send it, or revoke it first.');
      }
      if (error instanceof LogtoUnavailableError && error.ambiguous) {
        throw new MembersError('LOGTO_UNAVAILABLE', 'Logto did not answer: the invitation may exist. List the invitations before inviting again.', { headers: { 'retry-after': '10' } });
      }
      throw asMembersError(error);
    }
    await this.audit.recordQuietly({ tenantId: tenant.id, actor: by.actor, action: 'invitation.created', targetId: invitation.id, sourceIp: by.sourceIp });
    const delivery = await this.deliver(tenant, invitation, by);
    return { invitation: invitationView(invitation), delivery };
  }

  /** The tenant's invitations with their status (Expired as Logto computes it), newest first. */
  async list(tenantId: string, query: PageQuery): Promise<Page<InvitationView>> {
    const organizationId = organizationOf(await this.tenants.getExisting(tenantId));
    const all = await viaLogto(() => this.logto.listOrganizationInvitations({ organizationId }));
    const sorted = [...all].sort((a, b) => b.createdAt - a.createdAt || a.id.localeCompare(b.id));
    return toPage(sorted.slice(query.offset, query.offset + query.pageSize).map(invitationView), sorted.length, query);
  }

  /** Sends the invitation's email again (Pending invitations only). */
  async resend(tenantId: string, invitationId: string, by: ChangedBy): Promise<{ invitation: InvitationView; delivery: InvitationDelivery }> {
    const tenant = await this.tenants.getActive(tenantId);
    const invitation = await this.invitationOf(tenant, invitationId);
    assertPending(invitation);
    return { invitation: invitationView(invitation), delivery: await this.deliver(tenant, invitation, by) };
  }

  /** Revokes a Pending invitation (Logto's status Revoked: its link no longer works). */
  async revoke(tenantId: string, invitationId: string, by: ChangedBy): Promise<InvitationView> {
    const tenant = await this.tenants.getExisting(tenantId);
    const invitation = await this.invitationOf(tenant, invitationId);
    assertPending(invitation);
    // The audit record commits only if Logto revoked it (the Logto call is the transaction's last step).
    let revoked: OrganizationInvitation;
    try {
      revoked = await this.dataSource.transaction(async (tx) => {
        await this.audit.record({ tenantId: tenant.id, actor: by.actor, action: 'invitation.revoked', targetId: invitation.id, sourceIp: by.sourceIp }, tx);
        return this.logto.setOrganizationInvitationStatus(invitation.id, { status: 'Revoked' });
      });
    } catch (error) {
      // Accepted, expired or revoked meanwhile: Logto's final statuses never change (422).
      if (error instanceof LogtoConflictError) {
        assertPending(await this.invitationOf(tenant, invitationId));
      }
      throw asMembersError(error);
    }
    return invitationView(revoked);
  }

  /**
   * What the accept page shows before the invitee confirms: the invitation and its tenant, refused as accept would
   * refuse (except that nothing is changed).
   */
  async preview(invitationId: string, userId: string): Promise<{ tenant: Tenant; invitation: InvitationView }> {
    const { tenant, invitation } = await this.acceptable(invitationId, userId);
    return { tenant, invitation: invitationView(invitation) };
  }

  /**
   * Accepts the invitation for the signed-in user: it must be Pending, unexpired, of an ACTIVE tenant, and addressed
   * to the user's primary email (case-insensitive). Logto then adds the membership with the invitation's roles in the
   * same transaction (core libraries/organization-invitation.ts `updateStatus`). Audited as `invitation.accepted`.
   * The tenant row is locked around the Logto call, as for the members' changes: a suspend or delete in flight
   * commits first and the accept is refused, so nobody joins a tenant that has just stopped being ACTIVE.
   * A user removed earlier is then re-added (MemberRemovals.readded): their next removal gives a new `member.removed`;
   * their tokens from before the removal stay refused, the ones they get now pass.
   */
  async accept(invitationId: string, userId: string): Promise<{ tenant: Tenant; invitation: InvitationView }> {
    const { tenant, invitation } = await this.acceptable(invitationId, userId);
    // The audit record commits only if Logto accepted it (the Logto call is the transaction's last step).
    let accepted: OrganizationInvitation;
    try {
      accepted = await this.dataSource.transaction(async (tx) => {
        assertJoinable(await this.tenants.lockExisting(tenant.id, tx).catch(deletedAsNoInvitation));
        await this.audit.record({ tenantId: tenant.id, actor: `user:${userId}`, action: 'invitation.accepted', targetId: invitation.id }, tx);
        return this.logto.setOrganizationInvitationStatus(invitation.id, { status: 'Accepted', acceptedUserId: userId });
      });
    } catch (error) {
      // Outside the transaction: the re-check reads the tenant on a connection of its own.
      if (error instanceof LogtoConflictError) {
        // Revoked, expired or accepted meanwhile, or the user's email changed: say which.
        await this.acceptable(invitationId, userId);
      }
      throw asMembersError(error);
    }
    // After Logto's answer: the membership exists from now (Logto's own webhook for it may arrive before or after).
    await this.removals.readded({ organizationId: invitation.organizationId, userIds: [userId], at: new Date() });
    return { tenant, invitation: invitationView(accepted) };
  }

  private async acceptable(invitationId: string, userId: string): Promise<{ tenant: Tenant; invitation: OrganizationInvitation }> {
    const invitation = await this.findInvitation(invitationId);
    const tenant = invitation === undefined ? undefined : await this.tenants.findByOrganization(invitation.organizationId);
    if (invitation === undefined || tenant === undefined || tenant.status === 'DELETED') {
      throw invitationNotFound();
    }
    assertPending(invitation, { acceptedBy: userId });
    assertJoinable(tenant);
    const user = await viaLogto(() => this.logto.getUser(userId));
    if (user.primaryEmail === null || user.primaryEmail.toLowerCase() !== invitation.invitee.toLowerCase()) {
      throw new MembersError('INVITATION_FOR_ANOTHER_USER', 'This invitation was sent to another email address than your account’s. Sign in with the invited account.');
    }
    return { tenant, invitation };
  }

  /** The invitation if it is this tenant's; INVITATION_NOT_FOUND otherwise (another tenant's is not told apart). */
  private async invitationOf(tenant: Tenant, invitationId: string): Promise<OrganizationInvitation> {
    const invitation = await this.findInvitation(invitationId);
    if (invitation === undefined || invitation.organizationId !== tenant.logtoOrganizationId) {
      throw invitationNotFound();
    }
    return invitation;
  }

  private async findInvitation(invitationId: string): Promise<OrganizationInvitation | undefined> {
    if (!INVITATION_ID_PATTERN.test(invitationId)) {
      return undefined;
    }
    try {
      return await this.logto.getOrganizationInvitation(invitationId);
    } catch (error) {
      if (error instanceof LogtoNotFoundError) {
        return undefined;
      }
      throw asMembersError(error);
    }
  }

  /** Asks Logto to send the invitation email with the link to our accept page; a failure is reported, not thrown. */
  private async deliver(tenant: Tenant, invitation: OrganizationInvitation, by: ChangedBy): Promise<InvitationDelivery> {
    const origin = this.browser.publicAuthOrigin;
    if (origin === undefined) {
      return { sent: false, reason: 'ACCEPT_PAGE_DISABLED', detail: 'Browser sign-in (the accept page) is not configured here: LOGTO_EDGE_APP_ID and TENANT_BASE_DOMAIN.' };
    }
    try {
      await this.logto.sendOrganizationInvitationMessage(invitation.id, { link: acceptUrl(origin, invitation.id) });
    } catch (error) {
      const failure = deliveryFailure(error);
      if (failure === undefined) {
        throw error;
      }
      this.logger.warn(`invitation ${invitation.id}: email not sent (${failure.reason})`);
      return failure;
    }
    await this.audit.recordQuietly({ tenantId: tenant.id, actor: by.actor, action: 'invitation.sent', targetId: invitation.id, sourceIp: by.sourceIp });
    return { sent: true };
  }
}

function deliveryFailure(error: unknown): Extract<InvitationDelivery, { sent: false }> | undefined {
  if (isMissingEmailConnector(error)) {
    return { sent: false, reason: 'NO_EMAIL_CONNECTOR', detail: 'Logto has no email connector (501 connector.not_found): configure one in Logto, then re-send.' };
  }
  if (error instanceof LogtoUnavailableError) {
    return { sent: false, reason: 'LOGTO_UNAVAILABLE', detail: 'Logto did not send the email (unavailable); re-send later.' };
  }
  if (error instanceof LogtoResponseError) {
    return { sent: false, reason: 'LOGTO_REFUSED', detail: `Logto refused to send the email (${error.status}${error.code === undefined ? '' : ` ${error.code}`}); re-send later.` };
  }
  return undefined;
}

const invitationNotFound = (): MembersError => new MembersError('INVITATION_NOT_FOUND', 'There is no such invitation.');

/** A deleted tenant's invitations are not found (as acceptable() answers): its existence is not told to invitees. */
function deletedAsNoInvitation(error: unknown): never {
  throw error instanceof TenantsError && error.code === 'NOT_FOUND' ? invitationNotFound() : error;
}

/** An invitation is accepted into an ACTIVE tenant only (TENANT_NOT_ACTIVE otherwise; a deleted one is not found). */
function assertJoinable(tenant: Tenant): void {
  if (tenant.status === 'DELETED') {
    throw invitationNotFound();
  }
  if (tenant.status !== 'ACTIVE') {
    throw new TenantsError('TENANT_NOT_ACTIVE', `The tenant is ${tenant.status.toLowerCase()}; ask its owner.`);
  }
}

/** Refuses an invitation that is no longer Pending, saying why; `acceptedBy` words it for the invitee. */
function assertPending(invitation: OrganizationInvitation, options: { acceptedBy?: string } = {}): void {
  switch (invitation.status) {
    case 'Pending':
      return;
    case 'Expired':
      throw new MembersError('INVITATION_EXPIRED', 'This invitation has expired; ask for a new one.');
    case 'Revoked':
      throw new MembersError('INVITATION_REVOKED', 'This invitation was revoked.');
    case 'Accepted':
      throw new MembersError(
        'INVITATION_ALREADY_ACCEPTED',
        options.acceptedBy !== undefined && invitation.acceptedUserId === options.acceptedBy ? 'You accepted this invitation already.' : 'This invitation was accepted already.',
      );
  }
}
