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

/** What the repeat rule reads of a live membership record (PrincipalRevocations.membershipRevocation). */
export interface LiveMembershipRecord {
  readonly reason: string;
  readonly removedAt: Date;
  readonly readdedAt: Date | null;
}

/**
 * THE rule telling a repeated removal from a new one (issue 16): a removal is a repeat iff a live `member_removed`
 * record exists and no re-addition is known after it — or the removal itself happened before that re-addition (a
 * late or replayed delivery of an earlier change: the member is back, so nothing visible happens).
 *
 * `at`: when the removal happened, as Logto's webhook dates it (its payload's `createdAt`). Undefined for what this
 * service saw itself (the members API just removed the user in Logto; the reconciler finds them gone now): such a
 * removal is later than every re-addition already recorded.
 */
export function isRepeatedRemoval(live: LiveMembershipRecord | undefined, at: Date | undefined): boolean {
  if (live === undefined || live.reason !== 'member_removed') {
    return false;
  }
  const { readdedAt } = live;
  if (readdedAt === null || readdedAt.getTime() <= live.removedAt.getTime()) {
    return true;
  }
  return at !== undefined && at.getTime() <= readdedAt.getTime();
}

/**
 * The one place a membership removal (and a re-addition, which makes the next removal a new one) is recorded,
 * whoever learnt it (the webhook receiver, the members API, the reconciler). The same removal often arrives twice —
 * the members API removes in Logto and Logto's webhook then reports it — so a repeat must change nothing visible.
 *
 * Where the facts live: on the pair's revocation record (principal_revocations, owned by the security lib), whose
 * `removed_at` and `readded_at` say when the latest removal and the latest known re-addition happened; the record
 * lives REVOCATION_RETENTION_SECONDS, and after it expired every removal is a new one anyway.
 *
 * Ordering (Logto's deliveries can arrive out of order, and Logto does not retry a failed one): webhook removals and
 * additions are dated by the payload's `createdAt` (Logto's clock, signed with the body), what this service did or saw
 * by its own clock. Both times only ever move later. So a removal replayed after a re-addition is recognised as older
 * than it (a repeat), and an addition delivered after the removal that followed it cannot make that removal look new
 * twice (its event was given once; the next one needs a removal after the addition). An addition delivered BEFORE the
 * removal it followed (no live record yet: nothing to note) is not known until the reconciler's next drift pass sees
 * the member present and notes the re-addition then, or the members API lists them before removing them; a second
 * removal made in Logto directly before either gives no second event.
 * The two clocks are compared only across a re-addition and the next removal: skew beyond that interval can hide one.
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
   * both see "not removed yet"), and a repeat (isRepeatedRemoval) gives no second event or audit record. The
   * revocation itself is still moved to now — invisible for a genuine repeat (Logto issues a removed member no token
   * in between) — except for a removal older than the member's known re-addition, which must not log the member out
   * again: it is revoked at its own time. `at`: Logto's time of the removal (its webhook's `createdAt`); undefined for
   * what this service saw itself. Ids that are no Logto ids (empty, over 64 characters): 422 INVALID_REVOCATION,
   * nothing written.
   *
   * `sourceIp`: the client's address when a request of this API removed the member (audited, as every change made
   * through the API is).
   *
   * With `tx`, in the caller's transaction instead: the members API records the removal before asking Logto for it,
   * so that Logto never removes a member whose removal (above all, the revocation) could not be written here.
   */
  async removed(
    input: { organizationId: string; userId: string; actor: string; source: MemberRemovalSource; at?: Date; sourceIp?: string | null },
    tx?: EntityManager,
  ): Promise<void> {
    const { organizationId, userId, actor, source, at, sourceIp } = input;
    checkIds(organizationId, [userId]);
    if (at !== undefined && (!(at instanceof Date) || Number.isNaN(at.getTime()))) {
      throw new SecurityError('INVALID_REVOCATION', 'at: not a valid date.');
    }
    const record = async (tx: EntityManager): Promise<void> => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('member-removal:' || $1 || ':' || $2, 0))`, [organizationId, userId]);
      const tenant = await this.tenants.findByOrganization(organizationId, tx);
      const previous = await this.revocations.membershipRevocation({ organizationId, userId }, tx);
      const repeated = isRepeatedRemoval(previous, at);
      const now = new Date();
      const readdedAt = previous?.readdedAt ?? null;
      const olderThanReaddition = repeated && at !== undefined && readdedAt !== null && at.getTime() <= readdedAt.getTime();
      // A removal this service saw itself comes after every re-addition already recorded (readded_at may be Logto's
      // clock, ahead of ours): its removed_at is never earlier than one.
      const removedAt = at ?? new Date(Math.max(now.getTime(), readdedAt?.getTime() ?? 0));
      await this.revocations.revokeMembership({ organizationId, userId, reason: 'member_removed', at: olderThanReaddition ? at : now, removedAt }, tx);
      // Known here now, whoever learnt it: the drift pass must not find it again and report a removal without a webhook.
      await this.snapshots.removed(organizationId, [userId], tx);
      if (tenant === undefined || repeated) {
        return;
      }
      await this.outbox.append(tx, { type: 'member.removed', tenantId: tenant.id, data: { tenantId: tenant.id, organizationId, userId, source } });
      await this.audit.record({ tenantId: tenant.id, actor, action: 'member.removed', targetId: userId, sourceIp }, tx);
    };
    await (tx === undefined ? this.dataSource.transaction(record) : record(tx));
  }

  /**
   * The users were added (back) to the organization at `at` (Logto's webhook `createdAt`; now for an invitation
   * accepted through this API; the start of the reconciler's or the members API's membership read — Logto listing
   * them a member is proof enough): their next removal is a new one. Only users with a live removal record are
   * affected. Re-adding does NOT make tokens issued before the removal valid again — they stay refused until the
   * record expires; a new sign-in gives new tokens, which pass. With `tx`, in the caller's transaction (the members
   * API notes it in the transaction that then records the removal: one connection, as embedded PostgreSQL has).
   */
  async readded(input: { organizationId: string; userIds: readonly string[]; at: Date }, tx?: EntityManager): Promise<void> {
    checkIds(input.organizationId, input.userIds);
    await this.revocations.membershipReadded(input, tx);
  }
}

function checkIds(organizationId: string, userIds: readonly string[]): void {
  for (const [name, value] of [['organizationId', organizationId], ...userIds.map((userId) => ['userId', userId] as const)] as const) {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID) {
      throw new SecurityError('INVALID_REVOCATION', `${name}: a non-empty string of at most ${MAX_ID} characters.`);
    }
  }
}
