/** Shapes as Logto's Management API returns them (camelCase; `docs/logto-contract.md` §4). */

export type JsonObject = Record<string, unknown>;

export interface Organization {
  tenantId: string;
  id: string;
  name: string;
  description: string | null;
  /** Replaced wholesale by PATCH, never merged. */
  customData: JsonObject;
  isMfaRequired: boolean;
  color: { primaryColor?: string; isDarkModeEnabled?: boolean; darkPrimaryColor?: string };
  branding: { logoUrl?: string; darkLogoUrl?: string; favicon?: string; darkFavicon?: string };
  customCss: string | null;
  /** Epoch milliseconds. */
  createdAt: number;
}

export interface CreateOrganizationInput {
  name: string;
  description?: string;
  customData?: JsonObject;
}

export interface UpdateOrganizationInput {
  name?: string;
  description?: string | null;
  /** Replaces the whole customData object: read, merge and send the complete object to change one key. */
  customData?: JsonObject;
}

export interface ListOrganizationsQuery {
  /** Logto searches `id` and `name` only (substring, case-insensitive), never customData. */
  q?: string;
  /** From 1. */
  page?: number;
  /** 1..100, Logto's default 20. */
  pageSize?: number;
}

export interface Page<T> {
  items: T[];
  /** From Logto's `Total-Number` header (may be a lower bound when Logto caps the count). */
  total: number;
}

/** A Logto user (core routes/admin-user/basics.ts answers `userInfoSelectFields` + `hasPassword`; the fields we read). */
export interface User {
  id: string;
  username: string | null;
  primaryEmail: string | null;
  name: string | null;
  isSuspended: boolean;
}

export type OrganizationRoleType = 'User' | 'MachineToMachine';

export interface OrganizationRole {
  tenantId: string;
  id: string;
  name: string;
  description: string | null;
  type: OrganizationRoleType;
  /** Organization (template) scopes of the role. */
  scopes: { id: string; name: string }[];
  /** API-resource scopes of the role ("organization-level API resources"). */
  resourceScopes: { id: string; name: string; resource: { id: string; name: string } }[];
}

/** A permission of an API resource. */
export interface Scope {
  tenantId: string;
  id: string;
  resourceId: string;
  name: string;
  description: string | null;
  createdAt: number;
}

/** A role as Logto embeds it in members and invitations (`organizationRoleEntityGuard`: id and name). */
export interface OrganizationRoleRef {
  id: string;
  name: string;
}

/** GET /api/organizations/:id/users answers users with their roles in that organization (`userWithOrganizationRolesGuard`). */
export interface OrganizationMember extends User {
  organizationRoles: OrganizationRoleRef[];
}

export interface ListOrganizationUsersQuery {
  /** Logto searches the user's id, username, primaryEmail, primaryPhone and name. */
  q?: string;
  /** From 1. */
  page?: number;
  /** 1..100, Logto's default 20. */
  pageSize?: number;
}

/**
 * Logto stores Pending; reads answer Expired for a Pending invitation past `expiresAt` (core
 * queries/organization/index.ts `#findEntity`), and Accepted/Expired/Revoked are final.
 */
export type OrganizationInvitationStatus = 'Pending' | 'Accepted' | 'Expired' | 'Revoked';

/** An organization invitation (`organizationInvitationEntityGuard`); times are epoch milliseconds. */
export interface OrganizationInvitation {
  tenantId: string;
  id: string;
  inviterId: string | null;
  /** The invited email address, as given. */
  invitee: string;
  acceptedUserId: string | null;
  organizationId: string;
  status: OrganizationInvitationStatus;
  createdAt: number;
  updatedAt: number;
  expiresAt: number;
  /** The roles the invitee gets on acceptance. */
  organizationRoles: OrganizationRoleRef[];
}

export interface CreateOrganizationInvitationInput {
  organizationId: string;
  /** An email address. */
  invitee: string;
  inviterId?: string;
  /** Epoch milliseconds, in the future. */
  expiresAt: number;
  organizationRoleIds?: string[];
}

export interface ListOrganizationInvitationsQuery {
  organizationId?: string;
  inviterId?: string;
  invitee?: string;
}

/** The message payload Logto hands to its email connector (connector-kit `sendMessagePayloadGuard`). */
export interface InvitationMessagePayload {
  link: string;
  locale?: string;
}
