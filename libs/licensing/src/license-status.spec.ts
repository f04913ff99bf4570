import { licenseUsability, LicenseTerms } from './license-status';

const DAY_MS = 86_400_000;
const endsAt = new Date('2027-03-31T00:00:00Z');
const at = (offsetDays: number): Date => new Date(endsAt.getTime() + offsetDays * DAY_MS);
const current: LicenseTerms = { state: 'CURRENT', revokedAt: null, endsAt, graceDays: 14 };

describe('licenseUsability: the one rule for "may this license be used now?"', () => {
  it.each([
    ['well before the end', 'ACTIVE', -60],
    ['inside the warning window', 'EXPIRING', -10],
    ['at the end (grace starts)', 'EXPIRED', 0],
    ['inside the grace', 'EXPIRED', 13.9],
  ] as const)('a CURRENT license %s is usable with status %s until the end of grace', (_label, status, offset) => {
    expect(licenseUsability(current, at(offset), 30)).toEqual({ status, usableUntil: at(14) });
  });

  it('is not usable from the end of grace on', () => {
    expect(licenseUsability(current, at(14), 30)).toBeUndefined();
    expect(licenseUsability(current, at(400), 30)).toBeUndefined();
  });

  it('without grace, is not usable from its end on', () => {
    expect(licenseUsability({ ...current, graceDays: 0 }, at(-1), 0)).toEqual({ status: 'ACTIVE', usableUntil: endsAt });
    expect(licenseUsability({ ...current, graceDays: 0 }, endsAt, 0)).toBeUndefined();
  });

  it('is never usable superseded or revoked, whatever the dates', () => {
    expect(licenseUsability({ ...current, state: 'SUPERSEDED' }, at(-60), 30)).toBeUndefined();
    expect(licenseUsability({ ...current, state: 'REVOKED', revokedAt: at(-61) }, at(-60), 30)).toBeUndefined();
    expect(licenseUsability({ ...current, revokedAt: at(-61) }, at(-60), 30)).toBeUndefined();
  });
});
