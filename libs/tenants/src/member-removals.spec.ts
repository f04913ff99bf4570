import { isRepeatedRemoval, type LiveMembershipRecord } from './member-removals';

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, seconds));
const removal = (removedAt: number, readdedAt: number | null, reason = 'member_removed'): LiveMembershipRecord => ({
  reason,
  removedAt: at(removedAt),
  readdedAt: readdedAt === null ? null : at(readdedAt),
});

/** Issue 16's rule: a repeat iff the live removal record is newer than the member's last known addition. */
describe('isRepeatedRemoval', () => {
  it('no live record, or one of another reason (a role change): a new removal', () => {
    expect(isRepeatedRemoval(undefined, at(10))).toBe(false);
    expect(isRepeatedRemoval(undefined, undefined)).toBe(false);
    expect(isRepeatedRemoval(removal(5, null, 'roles_changed'), at(10))).toBe(false);
  });

  it('a live removal and no re-addition known since: a repeat, whenever it is dated', () => {
    for (const when of [at(1), at(5), at(60), undefined]) {
      expect(isRepeatedRemoval(removal(5, null), when)).toBe(true);
      // A re-addition known from before the recorded removal is no re-addition since it.
      expect(isRepeatedRemoval(removal(5, 3), when)).toBe(true);
      expect(isRepeatedRemoval(removal(5, 5), when)).toBe(true);
    }
  });

  it('re-added after the recorded removal: a removal after the re-addition is new', () => {
    expect(isRepeatedRemoval(removal(5, 8), at(9))).toBe(false);
    // What this service saw itself (members API, reconciler) is after every re-addition already recorded.
    expect(isRepeatedRemoval(removal(5, 8), undefined)).toBe(false);
  });

  it('re-added after the recorded removal: a removal dated before the re-addition is a late or replayed delivery', () => {
    expect(isRepeatedRemoval(removal(5, 8), at(5))).toBe(true);
    expect(isRepeatedRemoval(removal(5, 8), at(7))).toBe(true);
    expect(isRepeatedRemoval(removal(5, 8), at(8))).toBe(true);
  });
});
