import type { LogtoPrincipal } from '../access/principal';

export type MembershipRevocationReason = 'member_removed' | 'roles_changed';
export type UserRevocationReason = 'user_deleted' | 'user_suspended';
export type RevocationReason = MembershipRevocationReason | UserRevocationReason;

/**
 * One revocation: the user's tokens issued up to `revokedAt` are refused, in `organizationId` or, when it is null,
 * everywhere. `expiresAt`: when the record is forgotten (no token it refuses is still valid by then).
 */
export interface Revocation {
  readonly organizationId: string | null;
  readonly userId: string;
  readonly reason: RevocationReason;
  readonly revokedAt: Date;
  readonly expiresAt: Date;
}

interface Entry {
  revokedAtMs: number;
  expiresAtMs: number;
}

const USER_WIDE = '';

/**
 * The live revocations of one replica, in memory, for a synchronous check on every request (forward-auth's hot path
 * makes no query per request): by user, then by organization ('' for user-wide). It only ever grows towards later
 * revocations (`apply` keeps the later `revokedAt` of two for the same key) and forgets a record once it expired, so
 * applying the same revocation twice, or out of order with a reload, gives the same state.
 */
export class RevocationIndex {
  private readonly byUser = new Map<string, Map<string, Entry>>();

  constructor(
    /** Seconds Logto's clock may run ahead of ours: REVOCATION_CLOCK_SKEW_SECONDS. */
    private readonly clockSkewSeconds: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    let size = 0;
    for (const entries of this.byUser.values()) {
      size += entries.size;
    }
    return size;
  }

  /** Records `revocation`; true when it changed what is refused (a new record, or a later `revokedAt`). */
  apply(revocation: Revocation): boolean {
    const key = revocation.organizationId ?? USER_WIDE;
    const revokedAtMs = revocation.revokedAt.getTime();
    const expiresAtMs = revocation.expiresAt.getTime();
    if (expiresAtMs <= this.now() || !Number.isFinite(revokedAtMs)) {
      return false;
    }
    let entries = this.byUser.get(revocation.userId);
    if (entries === undefined) {
      entries = new Map();
      this.byUser.set(revocation.userId, entries);
    }
    const current = entries.get(key);
    if (current !== undefined && current.expiresAtMs > this.now() && current.revokedAtMs >= revokedAtMs) {
      current.expiresAtMs = Math.max(current.expiresAtMs, expiresAtMs);
      return false;
    }
    entries.set(key, { revokedAtMs: Math.max(revokedAtMs, current?.revokedAtMs ?? revokedAtMs), expiresAtMs: Math.max(expiresAtMs, current?.expiresAtMs ?? 0) });
    return true;
  }

  /** Forgets the records that expired. */
  forgetExpired(): void {
    const now = this.now();
    for (const [userId, entries] of this.byUser) {
      for (const [key, entry] of entries) {
        if (entry.expiresAtMs <= now) {
          entries.delete(key);
        }
      }
      if (entries.size === 0) {
        this.byUser.delete(userId);
      }
    }
  }

  /**
   * THE rule: a Logto user token is refused when a live revocation of its `sub` covers it (user-wide, or for the
   * token's `organization_id`) and its `iat` is not after the revocation. App tokens (machine-to-machine, `sub` =
   * `client_id`) and machine tokens are never refused here.
   *
   * Granularity and clocks: `iat` has whole seconds and comes from Logto's clock. A token issued in the second of the
   * revocation, before it, has iat = floor(revokedAt), so the comparison is against floor(revokedAt), inclusive. And
   * Logto's clock may run ahead of ours: a token issued just before the revocation can carry an iat up to that skew
   * after it. We refuse `iat <= floor(revokedAt) + REVOCATION_CLOCK_SKEW_SECONDS` (default 2): never a token issued
   * before the revocation within the skew we assume, at the price that a token issued in the first seconds after it
   * (a re-added member's, or one with the new roles after a role change) is refused too and must be requested again.
   * Not the verifier's LOGTO_CLOCK_TOLERANCE_S (30 s): that one is generosity towards expiring tokens, this one
   * refuses fresh, legitimate ones, so it should be as small as NTP-synchronised clocks allow. A token without `iat`
   * (Logto always sets it) cannot be placed: refused while a revocation covers it.
   */
  refuses(principal: Pick<LogtoPrincipal, 'kind' | 'subject' | 'organizationId' | 'issuedAt'>): boolean {
    if (principal.kind !== 'user') {
      return false;
    }
    const entries = this.byUser.get(principal.subject);
    if (entries === undefined) {
      return false;
    }
    return this.covers(entries.get(USER_WIDE), principal.issuedAt) || (principal.organizationId !== undefined && this.covers(entries.get(principal.organizationId), principal.issuedAt));
  }

  private covers(entry: Entry | undefined, issuedAt: Date | undefined): boolean {
    if (entry === undefined || entry.expiresAtMs <= this.now()) {
      return false;
    }
    if (issuedAt === undefined) {
      return true;
    }
    return issuedAt.getTime() / 1000 <= Math.floor(entry.revokedAtMs / 1000) + this.clockSkewSeconds;
  }
}
