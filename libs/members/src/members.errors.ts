import { CodedError, ErrorCatalog } from '@app/service-core';

/** What the members lib answers when it refuses (the tenant's own refusals come from TENANTS_ERRORS). */
export const MEMBERS_ERRORS = {
  MEMBER_NOT_FOUND: { status: 404, title: 'No such member of this tenant' },
  INVITATION_NOT_FOUND: { status: 404, title: 'No such invitation for this tenant' },
  UNKNOWN_ROLE: { status: 422, title: 'Unknown organization role' },
  ROLE_ABOVE_CALLER: { status: 403, title: 'A role above your own cannot be granted' },
  PLATFORM_SCOPED_ROLE: { status: 409, title: 'The role carries platform:* scopes and is never granted' },
  LAST_OWNER: { status: 409, title: 'A tenant always keeps at least one owner' },
  ALREADY_MEMBER: { status: 409, title: 'The invitee is already a member of this tenant' },
  INVITATION_PENDING: { status: 409, title: 'A pending invitation for this email already exists' },
  INVITATION_EXPIRED: { status: 410, title: 'The invitation has expired' },
  INVITATION_REVOKED: { status: 410, title: 'The invitation was revoked' },
  INVITATION_ALREADY_ACCEPTED: { status: 409, title: 'The invitation was already accepted' },
  INVITATION_FOR_ANOTHER_USER: { status: 403, title: 'The invitation is for another email address' },
  TENANT_NOT_PROVISIONED: { status: 409, title: 'The tenant has no Logto organization yet' },
  ACCEPT_PAGE_DISABLED: { status: 404, title: 'Invitations are accepted at the edge sign-in, which is not configured here' },
  FOREIGN_ORIGIN: { status: 403, title: 'The form was not posted from this page' },
  LOGTO_REFUSED: { status: 409, title: 'Logto refused the change' },
  LOGTO_NOT_CONFIGURED: { status: 503, title: 'Logto is not configured' },
  LOGTO_UNAVAILABLE: { status: 503, title: 'Logto is unavailable; retry later' },
} as const satisfies ErrorCatalog<string>;

export type MembersErrorCode = keyof typeof MEMBERS_ERRORS;

export class MembersError extends CodedError<MembersErrorCode> {
  readonly catalog = MEMBERS_ERRORS;
}
