import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { LogtoConflictError, LogtoManagementClient, LogtoNotFoundError, type OrganizationMember } from '@app/logto-client';
import { AuditTrail, type ChangedBy, PrincipalRevocations } from '@app/security';
import { Page, PageQuery, toPage } from '@app/service-core';
import { MemberRemovals, type Tenant, TenantsService } from '@app/tenants';
import { viaLogto } from './logto-failures';
import { MembersError } from './members.errors';
import { assertKeepsAnOwner, holdsOwner, type RoleGranter, RoleRules } from './role-rules';

/** A member of a tenant as this API shows it: the Logto user and their organization roles, by name. */
export interface MemberView {
  readonly userId: string;
  readonly username: string | null;
  readonly name: string | null;
  readonly primaryEmail: string | null;
  readonly roles: string[];
  readonly suspended: boolean;
}

function memberView(member: OrganizationMember, roles: readonly string[] = member.organizationRoles.map((role) => role.name)): MemberView {
  return {
    userId: member.id,
    username: member.username ?? null,
    name: member.name ?? null,
    primaryEmail: member.primaryEmail ?? null,
    roles: [...roles].sort(),
    suspended: member.isSuspended === true,
  };
}

/** The Logto organization of a tenant that has one (TENANT_NOT_PROVISIONED while it is being provisioned). */
export function organizationOf(tenant: Tenant): string {
  if (tenant.logtoOrganizationId === null) {
    throw new MembersError('TENANT_NOT_PROVISIONED', 'The tenant’s Logto organization does not exist yet; retry once the tenant is provisioned.');
  }
  return tenant.logtoOrganizationId;
}

const roleNamesOf = (member: OrganizationMember): string[] => member.organizationRoles.map((role) => role.name);

/**
 * A tenant's members, through Logto's organization APIs (Logto owns memberships: nothing is stored here but the audit
 * trail). Changes run in a transaction holding the tenant row's lock around the Logto call, so two changes to one
 * tenant's members run one after the other and each sees the other's outcome (two admins removing the last two owners
 * at once: the second is refused with LAST_OWNER).
 */
@Injectable()
export class MembersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsService,
    private readonly logto: LogtoManagementClient,
    private readonly audit: AuditTrail,
    private readonly revocations: PrincipalRevocations,
    private readonly removals: MemberRemovals,
  ) {}

  /** One page of the tenant's members (Logto's paging); NOT_FOUND for a missing or deleted tenant. */
  async list(tenantId: string, query: PageQuery): Promise<Page<MemberView>> {
    const organizationId = organizationOf(await this.tenants.getExisting(tenantId));
    const page = await viaLogto(() => this.logto.listOrganizationUsers(organizationId, { page: query.page, pageSize: query.pageSize }));
    return toPage(page.items.map((member) => memberView(member)), page.total, query);
  }

  /** The organization roles a member may be given (Logto's `User` roles). */
  async roleRules(): Promise<RoleRules> {
    return new RoleRules(await viaLogto(() => this.logto.listOrganizationRoles()));
  }

  /**
   * Replaces the member's roles with `roleNames`. Refused: unknown names, platform-scoped roles, roles added or taken
   * away above the caller's own, the last owner's demotion. In the same transaction as the Logto change: the audit
   * record (`member.roles_changed`) and a `roles_changed` revocation, so the member's tokens issued before are refused
   * at once and the next one carries the new scopes. Asking for the roles held already changes nothing.
   */
  async replaceRoles(tenantId: string, userId: string, roleNames: readonly string[], granter: RoleGranter, by: ChangedBy): Promise<MemberView> {
    const rules = await this.roleRules();
    const requested = rules.resolve(roleNames);
    rules.assertNoPlatformScope(requested);
    return this.dataSource.transaction(async (tx) => {
      const tenant = await this.tenants.lockExisting(tenantId, tx);
      const organizationId = organizationOf(tenant);
      const members = await viaLogto(() => this.logto.listAllOrganizationUsers(organizationId));
      const target = memberIn(members, userId);
      const before = new Set(roleNamesOf(target));
      const after = new Set(requested.map((role) => role.name));
      const changed = [...after].filter((name) => !before.has(name)).concat([...before].filter((name) => !after.has(name)));
      if (changed.length === 0) {
        return memberView(target);
      }
      rules.assertWithinReach(changed, granter);
      const owners = members.filter((member) => holdsOwner(roleNamesOf(member)));
      assertKeepsAnOwner(owners.length, owners.length - (holdsOwner(before) ? 1 : 0) + (holdsOwner(after) ? 1 : 0));
      await this.audit.record({ tenantId: tenant.id, actor: by.actor, action: 'member.roles_changed', targetId: userId, sourceIp: by.sourceIp }, tx);
      await this.revocations.revokeMembership({ organizationId, userId, reason: 'roles_changed' }, tx);
      // Last: a failure here rolls back the audit record and the revocation; success leaves only the commit.
      await viaLogto(() =>
        this.logto.replaceOrganizationUserRoles(organizationId, userId, requested.map((role) => role.id)).catch((error: unknown) => {
          // Removed in Logto meanwhile (by someone not going through this API): 422 organization.require_membership.
          throw error instanceof LogtoConflictError && error.code === 'organization.require_membership' ? notAMember() : error;
        }),
      );
      await this.revokeFromNow(organizationId, userId, 'roles_changed', tx);
      return memberView(target, [...after]);
    });
  }

  /**
   * Removes the member from the tenant's organization. Refused: the last owner, a member holding a role above the
   * caller's. MemberRemovals records it (revocation, `member.removed` event, audit) in the transaction, before the
   * Logto call: a failure of either leaves nothing changed, and Logto's webhook reporting the removal meanwhile
   * waits for the commit and is a repeat.
   */
  async remove(tenantId: string, userId: string, granter: RoleGranter, by: ChangedBy): Promise<void> {
    const rules = await this.roleRules();
    // Logto lists the user as a member after this instant: a removal recorded before it was followed by a re-addition.
    const memberAt = new Date();
    await this.dataSource.transaction(async (tx) => {
      const tenant = await this.tenants.lockExisting(tenantId, tx);
      const organization = organizationOf(tenant);
      const members = await viaLogto(() => this.logto.listAllOrganizationUsers(organization));
      const target = memberIn(members, userId);
      rules.assertWithinReach(roleNamesOf(target), granter);
      const owners = members.filter((member) => holdsOwner(roleNamesOf(member))).length;
      assertKeepsAnOwner(owners, owners - (holdsOwner(roleNamesOf(target)) ? 1 : 0));
      // Noted before Logto removes them (a true fact whatever follows): Logto's webhook for this removal may arrive
      // before this request records it, and must then count as a new removal even when the re-addition's own
      // delivery is late or lost (MemberRemovals: one event however the two arrive).
      await this.removals.readded({ organizationId: organization, userIds: [userId], at: memberAt }, tx);
      await this.removals.removed({ organizationId: organization, userId, actor: by.actor, source: 'api', sourceIp: by.sourceIp }, tx);
      // Last: a failure here rolls the record back; success leaves only the commit.
      await viaLogto(() =>
        this.logto.removeOrganizationUser(organization, userId).catch((error: unknown) => {
          // Removed in Logto meanwhile (by someone not going through this API).
          throw error instanceof LogtoNotFoundError ? notAMember() : error;
        }),
      );
      await this.revokeFromNow(organization, userId, 'member_removed', tx);
    });
  }

  /**
   * Moves the member's revocation, written before the Logto call, to now that Logto has answered: a token Logto
   * issued them while the call ran (with the old roles, or as a member still) is refused too. The index only ever
   * moves a revocation later, so this is the one it keeps.
   */
  private revokeFromNow(organizationId: string, userId: string, reason: 'member_removed' | 'roles_changed', tx: EntityManager): Promise<void> {
    return this.revocations.revokeMembership({ organizationId, userId, reason }, tx);
  }
}

const notAMember = (): MembersError => new MembersError('MEMBER_NOT_FOUND', 'This user is not a member of the tenant.');

function memberIn(members: readonly OrganizationMember[], userId: string): OrganizationMember {
  const member = members.find((candidate) => candidate.id === userId);
  if (member === undefined) {
    throw notAMember();
  }
  return member;
}
