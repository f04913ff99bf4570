import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Change, ChangeBus, isDatabaseUnavailable } from '@app/service-core';
import { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';
import type { LogtoPrincipal } from '../access/principal';
import { SecurityError } from '../access/security-errors';
import { MembershipRevocationReason, Revocation, RevocationIndex, RevocationReason, UserRevocationReason } from './revocation-index';
import { revocationsConfig, RevocationsConfig } from './revocations.config';

/** The ChangeBus topic of revocations; a change's id is the revocation itself (encodeRevocation). */
export const PRINCIPAL_REVOCATION_TOPIC = 'principal-revocation';

const REASONS: ReadonlySet<string> = new Set<RevocationReason>(['member_removed', 'roles_changed', 'user_deleted', 'user_suspended']);
const MAX_USER_ID = 255;
const MAX_ORGANIZATION_ID = 128;
// While the change channel is down, other replicas' revocations arrive by reading the table this often instead:
// "within a second" holds as long as the database answers.
const RELOAD_WHILE_DISCONNECTED_MS = 1_000;

/** A membership record's removal times (MemberRemovals' repeat rule reads them). */
export interface MembershipRemovalTimes {
  /** When the latest removal happened (Logto's time when its webhook said so, else when it was recorded). */
  readonly removedAt: Date;
  /** The member's latest known re-addition, null when none is known. */
  readonly readdedAt: Date | null;
}

interface RevocationRow {
  organization_id: string | null;
  user_id: string;
  reason: RevocationReason;
  revoked_at: Date;
  expires_at: Date;
}

/** A revocation written in a caller's transaction, published when that transaction (not a savepoint) commits. */
interface Pending {
  depth: number;
  readonly revocation: Revocation;
}

/**
 * Who is refused although their Logto token still verifies: a member removed from an organization, a member whose
 * roles changed through this API, a user deleted or suspended (the rule: RevocationIndex.refuses). The records are
 * rows of `principal_revocations`, kept REVOCATION_RETENTION_SECONDS; every replica holds the live ones in memory,
 * hears new ones on the ChangeBus (the replica that records one applies it before the call returns, the others within
 * the NOTIFY round trip) and reads the table again at boot, when the change channel comes back, every second while it
 * is down, and every minute with the purge.
 *
 * Publishing after commit: with `tx` the row is written in the caller's transaction and queued on its query runner; a
 * TypeORM transaction subscriber publishes the queue when the outermost transaction commits and drops it on rollback
 * (a savepoint rolled back drops what was queued inside it). So a rolled-back revocation is never broadcast, and a
 * committed one is applied here synchronously within commit and sent to the others (ChangeBus retries a NOTIFY; a
 * replica that lost the channel reloads every row when it is back).
 *
 * Un-suspending a user needs nothing: only tokens issued up to the suspension are refused, so the user's next token
 * works; the record is forgotten when it expires.
 */
@Injectable()
export class PrincipalRevocations implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(PrincipalRevocations.name);
  private readonly index: RevocationIndex;
  private readonly listeners = new Set<(revocation: Revocation) => void>();
  private readonly pending = new WeakMap<QueryRunner, Pending[]>();
  private readonly unsubscribe: (() => void)[] = [];
  private polling?: NodeJS.Timeout;
  private readonly transactionSubscriber: EntitySubscriberInterface = {
    afterTransactionCommit: (event: TransactionCommitEvent) => this.afterCommit(event.queryRunner),
    afterTransactionRollback: (event: TransactionRollbackEvent) => this.afterRollback(event.queryRunner),
  };

  constructor(
    private readonly dataSource: DataSource,
    private readonly changes: ChangeBus,
    @Inject(revocationsConfig.KEY) private readonly config: RevocationsConfig,
  ) {
    this.index = new RevocationIndex(config.clockSkewSeconds);
  }

  async onModuleInit(): Promise<void> {
    this.dataSource.subscribers.push(this.transactionSubscriber);
    this.unsubscribe.push(
      this.changes.subscribe((change) => this.hear(change)),
      this.changes.onConnectionChange((connected) => this.channelChanged(connected)),
    );
    await this.reload();
    this.channelChanged(this.changes.connected);
  }

  onModuleDestroy(): void {
    this.unsubscribe.forEach((stop) => stop());
    clearInterval(this.polling);
    const at = this.dataSource.subscribers.indexOf(this.transactionSubscriber);
    if (at >= 0) {
      this.dataSource.subscribers.splice(at, 1);
    }
  }

  /**
   * True when `principal`'s token is revoked (synchronous, in memory: the verifier asks on every Logto token; the edge
   * sessions ask before keeping a token Logto just issued, which may fall within the clock skew of a revocation).
   */
  refuses(principal: Pick<LogtoPrincipal, 'kind' | 'subject' | 'organizationId' | 'issuedAt'>): boolean {
    return this.index.refuses(principal);
  }

  /**
   * Refuses the user's tokens for the organization issued up to `at` (default now). `removedAt` (a `member_removed`
   * only): when the removal happened, kept as the record's `removed_at` (the later of two) for MemberRemovals.
   * Bad input: 422 INVALID_REVOCATION, nothing written.
   */
  revokeMembership(
    input: { organizationId: string; userId: string; reason: MembershipRevocationReason; at?: Date; removedAt?: Date },
    tx?: EntityManager,
  ): Promise<void> {
    checkId('organizationId', input.organizationId, MAX_ORGANIZATION_ID);
    if (input.removedAt !== undefined && (!(input.removedAt instanceof Date) || Number.isNaN(input.removedAt.getTime()))) {
      throw new SecurityError('INVALID_REVOCATION', 'removedAt: not a valid date.');
    }
    return this.record(input.organizationId, input.userId, input.reason, input.at, tx, input.reason === 'member_removed' ? input.removedAt : undefined);
  }

  /** Refuses every token of the user issued up to `at` (default now), for every organization and none. */
  revokeUser(input: { userId: string; reason: UserRevocationReason; at?: Date }, tx?: EntityManager): Promise<void> {
    return this.record(null, input.userId, input.reason, input.at, tx);
  }

  /**
   * The live membership revocation of the user in the organization, as the database has it (inside `tx` when given),
   * with the removal's times: for MemberRemovals, which tells a repeated removal from a new one (isRepeatedRemoval).
   */
  async membershipRevocation(
    input: { organizationId: string; userId: string },
    tx: EntityManager = this.dataSource.manager,
  ): Promise<(Revocation & MembershipRemovalTimes) | undefined> {
    const rows: (RevocationRow & { removed_at: Date | null; readded_at: Date | null })[] = await tx.query(
      `SELECT organization_id, user_id, reason, revoked_at, expires_at, removed_at, readded_at FROM principal_revocations
       WHERE organization_id = $1 AND user_id = $2 AND expires_at > now()`,
      [input.organizationId, input.userId],
    );
    const [row] = rows;
    if (row === undefined) {
      return undefined;
    }
    // Rows from before removed_at existed: the removal happened when it was recorded.
    const removedAt = new Date(row.removed_at ?? row.revoked_at);
    return { ...revocationOf(row), removedAt, readdedAt: row.readded_at === null ? null : new Date(row.readded_at) };
  }

  /**
   * The users were added to the organization again at `at`: for each one with a live `member_removed` record (nothing
   * to record otherwise) kept as the record's `readded_at` (the later of two), so that MemberRemovals counts their
   * next removal as a new one. It does NOT move or lift the revocation: tokens issued up to the removal stay refused
   * until the record expires; the re-added member signs in again and gets new tokens, which pass. One statement for
   * all the users (the reconciler passes every member). Bad ids: 422 INVALID_REVOCATION, nothing written.
   */
  async membershipReadded(input: { organizationId: string; userIds: readonly string[]; at: Date }, tx: EntityManager = this.dataSource.manager): Promise<void> {
    checkId('organizationId', input.organizationId, MAX_ORGANIZATION_ID);
    input.userIds.forEach((userId) => checkId('userId', userId, MAX_USER_ID));
    if (!(input.at instanceof Date) || Number.isNaN(input.at.getTime())) {
      throw new SecurityError('INVALID_REVOCATION', 'at: not a valid date.');
    }
    if (input.userIds.length === 0) {
      return;
    }
    await tx.query(
      `UPDATE principal_revocations SET readded_at = GREATEST(readded_at, $3)
       WHERE organization_id = $1 AND user_id = ANY($2::varchar[]) AND reason = 'member_removed' AND expires_at > now()`,
      [input.organizationId, input.userIds, input.at],
    );
  }

  /**
   * Hears every revocation that changes what is refused, on every replica: recorded here, heard from another replica,
   * or found by a reload (one missed while the change channel was down). Returns the function that unsubscribes.
   */
  onRevoked(listener: (revocation: Revocation) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads every live row again (merging: the index only moves towards later revocations) and forgets expired ones. */
  async reload(): Promise<void> {
    const rows: RevocationRow[] = await this.dataSource.query(
      'SELECT organization_id, user_id, reason, revoked_at, expires_at FROM principal_revocations WHERE expires_at > now()',
    );
    rows.forEach((row) => this.apply(revocationOf(row)));
    this.index.forgetExpired();
  }

  private async record(
    organizationId: string | null,
    userId: string,
    reason: RevocationReason,
    at: Date | undefined,
    tx: EntityManager | undefined,
    removedAt?: Date,
  ): Promise<void> {
    checkId('userId', userId, MAX_USER_ID);
    if (!REASONS.has(reason)) {
      throw new SecurityError('INVALID_REVOCATION', `reason: not one of ${[...REASONS].join(', ')}.`);
    }
    const revokedAt = at ?? new Date();
    if (!(revokedAt instanceof Date) || Number.isNaN(revokedAt.getTime())) {
      throw new SecurityError('INVALID_REVOCATION', 'at: not a valid date.');
    }
    const expiresAt = new Date(revokedAt.getTime() + this.config.retentionSeconds * 1000);
    // One row per (organization or none, user): a repeated or later revocation keeps the later instant (never moves
    // it back: an earlier `at` arriving late must not let tokens in that a later one refused). An expired row is a
    // new record: its removal and re-addition times go with it.
    const rows: RevocationRow[] = await (tx ?? this.dataSource.manager).query(
      `INSERT INTO principal_revocations (organization_id, user_id, reason, revoked_at, expires_at, removed_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (organization_id, user_id) DO UPDATE SET
         reason = CASE WHEN EXCLUDED.revoked_at >= principal_revocations.revoked_at OR principal_revocations.expires_at <= now()
                       THEN EXCLUDED.reason ELSE principal_revocations.reason END,
         revoked_at = CASE WHEN principal_revocations.expires_at <= now() THEN EXCLUDED.revoked_at
                           ELSE GREATEST(principal_revocations.revoked_at, EXCLUDED.revoked_at) END,
         removed_at = CASE WHEN principal_revocations.expires_at <= now() THEN EXCLUDED.removed_at
                           ELSE GREATEST(principal_revocations.removed_at, EXCLUDED.removed_at) END,
         readded_at = CASE WHEN principal_revocations.expires_at <= now() THEN NULL ELSE principal_revocations.readded_at END,
         expires_at = GREATEST(principal_revocations.expires_at, EXCLUDED.expires_at)
       RETURNING organization_id, user_id, reason, revoked_at, expires_at`,
      [organizationId, userId, reason, revokedAt, expiresAt, removedAt ?? (reason === 'member_removed' ? revokedAt : null)],
    );
    const [row] = rows;
    if (row === undefined) {
      throw new Error('the revocation upsert returned no row');
    }
    const revocation = revocationOf(row);
    const runner = tx?.queryRunner;
    if (runner !== undefined && runner.isTransactionActive) {
      const queue = this.pending.get(runner) ?? [];
      queue.push({ depth: depthOf(runner), revocation });
      this.pending.set(runner, queue);
    } else {
      this.publish(revocation);
    }
  }

  private afterCommit(runner: QueryRunner): void {
    const queue = this.pending.get(runner);
    if (queue === undefined) {
      return;
    }
    if (depthOf(runner) > 0) {
      // A savepoint was released: what it queued now belongs to the enclosing transaction.
      queue.forEach((entry) => (entry.depth = Math.min(entry.depth, depthOf(runner))));
      return;
    }
    this.pending.delete(runner);
    queue.forEach((entry) => this.publish(entry.revocation));
  }

  private afterRollback(runner: QueryRunner): void {
    const queue = this.pending.get(runner);
    if (queue === undefined) {
      return;
    }
    const kept = queue.filter((entry) => entry.depth <= depthOf(runner));
    if (kept.length === 0) {
      this.pending.delete(runner);
    } else {
      this.pending.set(runner, kept);
    }
  }

  /** Here at once (ChangeBus dispatches locally before it returns), on the others through NOTIFY. */
  private publish(revocation: Revocation): void {
    this.changes.publish({ topic: PRINCIPAL_REVOCATION_TOPIC, id: encodeRevocation(revocation) });
  }

  private hear(change: Change): void {
    if (change.topic !== PRINCIPAL_REVOCATION_TOPIC) {
      return;
    }
    const revocation = decodeRevocation(change.id);
    if (revocation === undefined) {
      this.logger.warn('a revocation notification did not parse: reloading every revocation');
      void this.reloadQuietly();
      return;
    }
    this.apply(revocation);
  }

  private apply(revocation: Revocation): void {
    if (!this.index.apply(revocation)) {
      return;
    }
    for (const listener of this.listeners) {
      try {
        listener(revocation);
      } catch (error) {
        this.logger.error({ err: error }, 'a revocation listener failed');
      }
    }
  }

  /**
   * Channel lost: read the table every second until it is back (notifications from other replicas are lost meanwhile).
   * Channel back: read it once more (what was revoked just before it came back) and stop polling.
   */
  private channelChanged(connected: boolean): void {
    clearInterval(this.polling);
    this.polling = undefined;
    if (connected) {
      void this.reloadQuietly();
    } else {
      this.polling = setInterval(() => void this.reloadQuietly(), RELOAD_WHILE_DISCONNECTED_MS);
      this.polling.unref();
    }
  }

  private async reloadQuietly(): Promise<void> {
    try {
      await this.reload();
    } catch (error) {
      // A database outage is readiness's to report (and would warn every second while the channel is down too).
      if (!isDatabaseUnavailable(error)) {
        this.logger.warn({ err: error }, 'could not reload the revocations (retried with the next purge, every minute)');
      }
    }
  }
}

/**
 * How many transactions deep the runner is (1: a transaction, 2+: savepoints in it; 0 after the outermost one ended).
 * TypeORM keeps it on BaseQueryRunner as a protected field and updates it before the after-commit/rollback events.
 */
function depthOf(runner: QueryRunner): number {
  return (runner as unknown as { transactionDepth: number }).transactionDepth;
}

function checkId(name: string, value: unknown, max: number): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw new SecurityError('INVALID_REVOCATION', `${name}: a non-empty string of at most ${max} characters.`);
  }
}

function revocationOf(row: RevocationRow): Revocation {
  return { organizationId: row.organization_id, userId: row.user_id, reason: row.reason, revokedAt: new Date(row.revoked_at), expiresAt: new Date(row.expires_at) };
}

/** A revocation as a ChangeBus id: compact JSON (a NOTIFY payload holds 8000 bytes; ids are short). */
export function encodeRevocation(revocation: Revocation): string {
  return JSON.stringify({ o: revocation.organizationId, u: revocation.userId, r: revocation.reason, t: revocation.revokedAt.getTime(), e: revocation.expiresAt.getTime() });
}

export function decodeRevocation(id: string): Revocation | undefined {
  try {
    const value = JSON.parse(id) as { o?: unknown; u?: unknown; r?: unknown; t?: unknown; e?: unknown };
    const { o, u, r, t, e } = value;
    if ((o !== null && typeof o !== 'string') || typeof u !== 'string' || typeof r !== 'string' || !REASONS.has(r) || typeof t !== 'number' || typeof e !== 'number') {
      return undefined;
    }
    return { organizationId: o, userId: u, reason: r as RevocationReason, revokedAt: new Date(t), expiresAt: new Date(e) };
  } catch {
    return undefined;
  }
}
