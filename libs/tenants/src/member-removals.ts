import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { EventOutbox } from '@app/events';
import { AuditTrail, PrincipalRevocations, SecurityError } from '@app/security';
import { OrganizationMemberSnapshots } from './organization-member-snapshots';
import { TenantsRepository } from './tenants.repository';

/** Where a removal was learnt: Logto's webhook, this API's members route, or the reconciler's membership comparison. */
export type MemberRemovalSource = 'logto-webhook' | 'api' | 'reconciler';

// Logto's ids are short (12–21 characters); the audit trail's target column holds 64.
const MAX_ID = 64;

/**
 * The one place a membership removal is recorded, whoever learnt it (the webhook receiver, the members API, the
 * reconciler). The same removal often arrives twice — the members API removes in Logto and Logto's webhook then
 * reports it — so a repeat must change nothing visible.
 */
@Injectable()
export class MemberRemovals {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tenants: TenantsRepository,
    private readonly revocations: PrincipalRevocations,
    private readonly outbox: EventOutbox,
    private readonly audit: AuditTrail,
    private readonly snapshots: OrganizationMemberSnapshots,
  ) {}

  /**
   * In one transaction: the user dropped from the drift pass's member snapshot, the revocation (the user's tokens for the organization issued until now are refused, on every
   * replica within a second once it commits), the `member.removed` event-feed event ({tenantId, organizationId, userId,
   * source}) and an audit record (action `member.removed`, target the user). An organization that is no tenant's:
   * the revocation only.
   *
   * Idempotence: the pair is locked for the transaction (an advisory lock, so two deliveries of one removal do not
   * both see "not removed yet"), and a removal while the pair's revocation is still a live `member_removed` one is a
   * repeat: no second event or audit record. The revocation itself is still moved to now — invisible for a genuine
   * repeat (Logto issues a removed member no token in between), and right for a member re-added and removed again.
   * What Logto does not tell us is a re-adding, so such a second removal within REVOCATION_RETENTION_SECONDS of the
   * first is refused at once but gives no second event. Ids that are no Logto ids (empty, over 64 characters): 422
   * INVALID_REVOCATION, nothing written.
   *
   * `sourceIp`: the client's address when a request of this API removed the member (audited, as every change made
   * through the API is).
   *
   * With `tx`, in the caller's transaction instead: the members API records the removal before asking Logto for it,
   * so that Logto never removes a member whose removal (above all, the revocation) could not be written here.
   */
  async removed(input: { organizationId: string; userId: string; actor: string; source: MemberRemovalSource; sourceIp?: string | null }, tx?: EntityManager): Promise<void> {
    const { organizationId, userId, actor, source, sourceIp } = input;
    for (const [name, value] of [['organizationId', organizationId], ['userId', userId]] as const) {
      if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID) {
        throw new SecurityError('INVALID_REVOCATION', `${name}: a non-empty string of at most ${MAX_ID} characters.`);
      }
    }
    const tenant = await this.tenants.findByOrganization(organizationId);
    const record = async (tx: EntityManager): Promise<void> => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('member-removal:' || $1 || ':' || $2, 0))`, [organizationId, userId]);
      const previous = await this.revocations.membershipRevocation({ organizationId, userId }, tx);
      await this.revocations.revokeMembership({ organizationId, userId, reason: 'member_removed' }, tx);
      // Known here now, whoever learnt it: the drift pass must not find it again and report a removal without a webhook.
      await this.snapshots.removed(organizationId, [userId], tx);
      if (tenant === undefined || previous?.reason === 'member_removed') {
        return;
      }
      await this.outbox.append(tx, { type: 'member.removed', tenantId: tenant.id, data: { tenantId: tenant.id, organizationId, userId, source } });
      await this.audit.record({ tenantId: tenant.id, actor, action: 'member.removed', targetId: userId, sourceIp }, tx);
    };
    await (tx === undefined ? this.dataSource.transaction(record) : record(tx));
  }
}
