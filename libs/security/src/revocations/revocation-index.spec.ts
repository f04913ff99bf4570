import type { LogtoPrincipal } from '../access/principal';
import { decodeRevocation, encodeRevocation } from './principal-revocations';
import { Revocation, RevocationIndex } from './revocation-index';

const T0 = Date.UTC(2026, 10, 30, 20, 0, 0, 400); // a revocation 400 ms into a second
const HOUR = 3_600_000;

function index(toleranceSeconds = 0, now = () => T0 + 10_000): RevocationIndex {
  return new RevocationIndex(toleranceSeconds, now);
}

const revocation = (over: Partial<Revocation> = {}): Revocation => ({
  organizationId: 'org-acme',
  userId: 'alice',
  reason: 'member_removed',
  revokedAt: new Date(T0),
  expiresAt: new Date(T0 + 24 * HOUR),
  ...over,
});

/** A user token issued at `iatSeconds` (whole seconds, as Logto writes iat). */
const token = (iatSeconds: number, over: Partial<LogtoPrincipal> = {}): LogtoPrincipal => ({
  scheme: 'logto',
  kind: 'user',
  subject: 'alice',
  clientId: 'spa',
  scopes: new Set(['tenant:read']),
  organizationId: 'org-acme',
  issuedAt: new Date(iatSeconds * 1000),
  expiresAt: new Date(T0 + HOUR),
  ...over,
});

const revokedSecond = Math.floor(T0 / 1000);

describe('the revocation rule (RevocationIndex.refuses)', () => {
  it('refuses a token issued before the revocation and one issued in its second (iat has whole seconds), not one issued in the next second', () => {
    const revocations = index();
    revocations.apply(revocation());
    expect(revocations.refuses(token(revokedSecond - 60))).toBe(true);
    expect(revocations.refuses(token(revokedSecond))).toBe(true);
    expect(revocations.refuses(token(revokedSecond + 1))).toBe(false);
  });

  it('with a clock tolerance, also refuses what Logto (its clock ahead of ours) stamped up to that many seconds after', () => {
    const revocations = index(5);
    revocations.apply(revocation());
    expect(revocations.refuses(token(revokedSecond + 5))).toBe(true);
    expect(revocations.refuses(token(revokedSecond + 6))).toBe(false);
  });

  it('a membership revocation refuses that organization only, and not tokens without an organization', () => {
    const revocations = index();
    revocations.apply(revocation());
    expect(revocations.refuses(token(revokedSecond - 1, { organizationId: 'org-globex' }))).toBe(false);
    expect(revocations.refuses(token(revokedSecond - 1, { organizationId: undefined }))).toBe(false);
    expect(revocations.refuses(token(revokedSecond - 1, { subject: 'bob' }))).toBe(false);
  });

  it('a user-wide revocation refuses every organization and tokens without one', () => {
    const revocations = index();
    revocations.apply(revocation({ organizationId: null, reason: 'user_suspended' }));
    expect(revocations.refuses(token(revokedSecond - 1))).toBe(true);
    expect(revocations.refuses(token(revokedSecond - 1, { organizationId: 'org-globex' }))).toBe(true);
    expect(revocations.refuses(token(revokedSecond - 1, { organizationId: undefined }))).toBe(true);
    expect(revocations.refuses(token(revokedSecond + 1, { organizationId: undefined }))).toBe(false);
  });

  it('never refuses an app token (machine-to-machine: sub = client_id), even with a revocation for its sub', () => {
    const revocations = index();
    revocations.apply(revocation({ organizationId: null, userId: 'm2m', reason: 'user_deleted' }));
    expect(revocations.refuses(token(revokedSecond - 1, { kind: 'app', subject: 'm2m', clientId: 'm2m', organizationId: undefined }))).toBe(false);
  });

  it('refuses a token without iat while a revocation covers it (it cannot be placed before or after)', () => {
    const revocations = index();
    revocations.apply(revocation());
    expect(revocations.refuses(token(0, { issuedAt: undefined }))).toBe(true);
  });

  it('forgets a revocation once it expired', () => {
    let now = T0 + 10_000;
    const revocations = index(0, () => now);
    revocations.apply(revocation({ expiresAt: new Date(T0 + HOUR) }));
    expect(revocations.refuses(token(revokedSecond - 1))).toBe(true);
    now = T0 + HOUR;
    expect(revocations.refuses(token(revokedSecond - 1))).toBe(false);
    revocations.forgetExpired();
    expect(revocations.size).toBe(0);
    expect(revocations.apply(revocation({ expiresAt: new Date(T0 + HOUR) }))).toBe(false);
  });

  it('only moves towards later revocations: a repeat or an older one changes nothing, a later one does', () => {
    const revocations = index();
    expect(revocations.apply(revocation())).toBe(true);
    expect(revocations.apply(revocation())).toBe(false);
    expect(revocations.apply(revocation({ revokedAt: new Date(T0 - 5_000) }))).toBe(false);
    expect(revocations.refuses(token(revokedSecond))).toBe(true);
    expect(revocations.apply(revocation({ revokedAt: new Date(T0 + 3_000) }))).toBe(true);
    expect(revocations.refuses(token(revokedSecond + 3))).toBe(true);
    expect(revocations.size).toBe(1);
  });
});

describe('a revocation on the change bus', () => {
  it('round-trips, and anything else does not parse', () => {
    const original = revocation({ organizationId: null, reason: 'user_deleted' });
    expect(decodeRevocation(encodeRevocation(original))).toEqual(original);
    expect(decodeRevocation('not json')).toBeUndefined();
    expect(decodeRevocation(JSON.stringify({ o: null, u: 'alice', r: 'promoted', t: 1, e: 2 }))).toBeUndefined();
    expect(decodeRevocation(JSON.stringify({ o: 7, u: 'alice', r: 'user_deleted', t: 1, e: 2 }))).toBeUndefined();
  });
});
