import { generateStandardId } from '../ids';
import type { EmailConnector } from './email-connector';
import { membershipDelta } from './hooks';
import { type Body, optionalObject, optionalString, requireBody, requiredString, stringArray } from './input-guards';
import type { ManagementState } from './management-state';
import { foreignKeyNotFound, invalidInput, notFound, RequestError, uniqueViolation } from './request-error';
import type { RouteTable } from './route-table';

/** Logto's `emailRegEx`-like check standing in for zod's `z.string().email()` on `invitee`. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export type InvitationStatus = 'Pending' | 'Accepted' | 'Expired' | 'Revoked';

/** The stored row (schemas tables/organization_invitations.sql) plus its role relation. */
export interface StoredInvitation {
  tenantId: string;
  id: string;
  inviterId: string | null;
  invitee: string;
  acceptedUserId: string | null;
  organizationId: string;
  /** As stored: Logto keeps Pending past the expiry and computes Expired on read. */
  status: InvitationStatus;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  organizationRoleIds: string[];
}

/** Statuses that never change again (core libraries/organization-invitation.ts `endingStatuses`, RFC 0003). */
const ENDING_STATUSES: readonly InvitationStatus[] = ['Accepted', 'Expired', 'Revoked'];

/**
 * Organization invitations, as core routes/organization-invitation/index.ts and libraries/organization-invitation.ts
 * (Logto 1.42):
 * - POST: `invitee` an email, `organizationId`, `expiresAt` (epoch ms, must be in the future: 400
 *   `request.invalid_input`), `inviterId?`, `organizationRoleIds?`, `messagePayload` (false by default). An invitee
 *   who is already a member (by email) is 422 `request.invalid_input`; a second Pending invitation for the same
 *   invitee and organization violates the partial unique index → 422 `entity.unique_integrity_violation`; unknown
 *   organization, inviter or role → 422 `entity.relation_foreign_key_not_found`. With a message payload the email is
 *   sent in the same transaction: no email connector → 501 `connector.not_found` and no invitation.
 * - Reads compute Expired for a Pending invitation past `expiresAt` (queries/organization/index.ts `#findEntity`);
 *   roles come as `{ id, name }` ordered by name.
 * - PUT /:id/status: Accepted (with `acceptedUserId`, whose primary email must equal the invitee,
 *   case-insensitive) adds the membership and the invitation's roles; Revoked just marks it. A final status
 *   cannot change: 422 `request.invalid_input`.
 * - POST /:id/message sends (again) through the email connector.
 */
export function addOrganizationInvitationRoutes(routes: RouteTable, state: ManagementState, email: EmailConnector): void {
  const invitations = state.invitations;

  const effectiveStatus = (invitation: StoredInvitation): InvitationStatus =>
    invitation.status === 'Pending' && invitation.expiresAt < Date.now() ? 'Expired' : invitation.status;

  const view = (invitation: StoredInvitation): Record<string, unknown> => {
    const { organizationRoleIds, ...fields } = invitation;
    const organizationRoles = organizationRoleIds
      .flatMap((roleId) => {
        const role = state.roles.get(roleId);
        return role ? [{ id: role.id, name: role.name }] : [];
      })
      .sort((a, b) => a.name.localeCompare(b.name));
    return { ...fields, status: effectiveStatus(invitation), organizationRoles };
  };

  const invitationOr404 = (id: string): StoredInvitation => {
    const invitation = invitations.get(id);
    if (!invitation) {
      // findById is a `pool.one`: slonik's NotFoundError → 404 `entity.not_found`.
      throw notFound();
    }
    return invitation;
  };

  /** libraries/organization-invitation.ts `sendEmail` → connector library `getMessageConnector(Email)`. */
  const sendEmail = (invitation: StoredInvitation, payload: Body): void => {
    const organization = state.organizations.get(invitation.organizationId);
    const inviter = invitation.inviterId === null ? undefined : state.users.get(invitation.inviterId);
    const sent = email.send({
      to: invitation.invitee,
      type: 'OrganizationInvitation',
      payload: {
        // getOrganizationInvitationTemplateContext: organization and inviter context, then the caller's payload.
        ...(organization ? { organization: { id: organization.id, name: organization.name } } : {}),
        ...(inviter ? { inviter: { id: inviter.id, name: inviter.name, username: inviter.username, primaryEmail: inviter.primaryEmail } } : {}),
        ...payload,
      },
    });
    if (!sent) {
      // As real Logto 1.42 answers it (observed): `{ code, message }`, no data.
      throw new RequestError(501, 'connector.not_found', 'Cannot find any available connector for type: Email.');
    }
  };

  routes.add('GET', '/organization-invitations', ({ url }) => {
    const organizationId = url.searchParams.get('organizationId');
    const inviterId = url.searchParams.get('inviterId');
    const invitee = url.searchParams.get('invitee');
    const listed = [...invitations.values()].filter(
      (invitation) =>
        (organizationId === null || invitation.organizationId === organizationId) &&
        (inviterId === null || invitation.inviterId === inviterId) &&
        // #findEntity: `lower(invitee) = lower($1)`.
        (invitee === null || invitation.invitee.toLowerCase() === invitee.toLowerCase()),
    );
    return { status: 200, body: listed.map(view) };
  });

  routes.add('POST', '/organization-invitations', ({ body }) => {
    const input = requireBody(body);
    const invitee = requiredString(input, 'invitee');
    if (!EMAIL.test(invitee)) {
      throw invalidInput('"invitee" must be an email address');
    }
    const organizationId = requiredString(input, 'organizationId', 21);
    const inviterId = optionalString(input, 'inviterId', 21) ?? null;
    const expiresAt = input.expiresAt;
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
      throw invalidInput('"expiresAt" must be a number (epoch milliseconds)');
    }
    const roleIds = stringArray(input, 'organizationRoleIds', { required: false, nonEmpty: false });
    const messagePayload = input.messagePayload === undefined || input.messagePayload === false ? false : optionalObject(input, 'messagePayload');
    if (expiresAt <= Date.now()) {
      throw new RequestError(400, 'request.invalid_input', 'Input is invalid. The value of `expiresAt` must be in the future.');
    }
    // queries/organization/user-relations.ts `isMember(organizationId, invitee)`: a member whose primary email is the
    // invitee, compared exactly (an invitee spelt in another case is invited; accepting compares case-insensitively).
    const alreadyMember = [...state.membersOf(organizationId)].some((userId) => state.users.get(userId)?.primaryEmail === invitee);
    if (alreadyMember) {
      throw new RequestError(422, 'request.invalid_input', 'Input is invalid. The invitee is already a member of the organization.');
    }
    if (
      !state.organizations.has(organizationId) ||
      (inviterId !== null && !state.users.has(inviterId)) ||
      roleIds.some((roleId) => !state.roles.has(roleId))
    ) {
      throw foreignKeyNotFound();
    }
    // updateExpiredEntities({ invitee, organizationId }) runs first, so an expired one does not block a new one.
    for (const existing of invitations.values()) {
      if (existing.organizationId === organizationId && existing.invitee.toLowerCase() === invitee.toLowerCase() && effectiveStatus(existing) === 'Expired') {
        existing.status = 'Expired';
      }
    }
    if ([...invitations.values()].some((existing) => existing.organizationId === organizationId && existing.invitee === invitee && existing.status === 'Pending')) {
      throw uniqueViolation();
    }
    const now = Date.now();
    const invitation: StoredInvitation = {
      tenantId: 'default',
      id: generateStandardId(),
      inviterId,
      invitee,
      acceptedUserId: null,
      organizationId,
      status: 'Pending',
      createdAt: now,
      updatedAt: now,
      expiresAt,
      organizationRoleIds: roleIds,
    };
    if (messagePayload) {
      // In Logto's transaction: a failed message rolls the invitation back.
      sendEmail(invitation, messagePayload);
    }
    invitations.set(invitation.id, invitation);
    return { status: 201, body: view(invitation) };
  });

  routes.add('GET', '/organization-invitations/:id', ({ param }) => ({ status: 200, body: view(invitationOr404(param('id'))) }));

  routes.add('DELETE', '/organization-invitations/:id', ({ param }) => {
    invitationOr404(param('id'));
    invitations.delete(param('id'));
    return { status: 204 };
  });

  routes.add('PUT', '/organization-invitations/:id/status', ({ param, body }) => {
    const input = requireBody(body);
    const status = input.status;
    if (status !== 'Accepted' && status !== 'Revoked') {
      throw invalidInput('"status" must be Accepted or Revoked');
    }
    const acceptedUserId = optionalString(input, 'acceptedUserId', 21) ?? null;
    const invitation = invitationOr404(param('id'));
    if (status === 'Accepted' && acceptedUserId === null) {
      throw new RequestError(422, 'request.invalid_input', 'Input is invalid. The `acceptedUserId` is required when accepting an invitation.');
    }
    if (ENDING_STATUSES.includes(effectiveStatus(invitation))) {
      throw new RequestError(422, 'request.invalid_input', 'Input is invalid. The status of the invitation cannot be changed anymore.');
    }
    let addedUserIds: string[] = [];
    if (status === 'Accepted' && acceptedUserId !== null) {
      const user = state.userOr404(acceptedUserId);
      if (user.primaryEmail?.toLowerCase() !== invitation.invitee.toLowerCase()) {
        throw new RequestError(422, 'request.invalid_input', 'Input is invalid. The accepted user must have the same email as the invitee.');
      }
      addedUserIds = state.isMember(invitation.organizationId, acceptedUserId) ? [] : [acceptedUserId];
      state.addMember(invitation.organizationId, acceptedUserId);
      const roles = state.rolesOfMember(invitation.organizationId, acceptedUserId);
      invitation.organizationRoleIds.filter((roleId) => state.roles.has(roleId)).forEach((roleId) => roles.add(roleId));
      invitation.acceptedUserId = acceptedUserId;
    }
    invitation.status = status;
    invitation.updatedAt = Date.now();
    if (status !== 'Accepted') {
      return { status: 200, body: view(invitation) };
    }
    // Logto 1.42 (routes/organization-invitation/index.ts, PUT /:id/status) appends Organization.Membership.Updated
    // on every accept, with `addedUserIds` when the accepting user was not yet a member (else the legacy
    // `{ organizationId }` shape); a revoke returns before it, with no hook.
    const hookContexts = [{ event: 'Organization.Membership.Updated', organizationId: invitation.organizationId, ...membershipDelta({ addedUserIds }) }];
    return { status: 200, body: view(invitation), hookContexts };
  });

  routes.add('POST', '/organization-invitations/:id/message', ({ param, body }) => {
    const payload = requireBody(body);
    for (const key of ['code', 'link', 'locale', 'uiLocales']) {
      optionalString(payload, key, 4096);
    }
    sendEmail(invitationOr404(param('id')), payload);
    return { status: 204 };
  });
}
