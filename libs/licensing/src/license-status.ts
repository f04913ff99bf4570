const DAY_MS = 86_400_000;

export const LICENSE_STATES = ['CURRENT', 'SUPERSEDED', 'REVOKED'] as const;
/** Where a license row stands: one CURRENT per tenant; issuing supersedes it, revoking ends it. */
export type LicenseState = (typeof LICENSE_STATES)[number];

/** The contract's position in time, as the API reports it. */
export type LicenseStatus = 'ACTIVE' | 'EXPIRING' | 'EXPIRED';

/** As an offline verifier sees it: between the end and the end of grace the license is IN_GRACE. */
export type VerifiedLicenseStatus = 'ACTIVE' | 'EXPIRING' | 'IN_GRACE' | 'EXPIRED';

/** ACTIVE until `warningDays` before the end, EXPIRING until the end, EXPIRED from the end on. */
export function licenseStatus(endsAt: Date, now: Date, warningDays: number): LicenseStatus {
  const end = endsAt.getTime();
  const at = now.getTime();
  if (at >= end) {
    return 'EXPIRED';
  }
  return at >= end - warningDays * DAY_MS ? 'EXPIRING' : 'ACTIVE';
}

/** The verifier's view: EXPIRED only once the grace after the end has passed too. */
export function verifiedLicenseStatus(endsAt: Date, graceDays: number, now: Date, warningDays: number): VerifiedLicenseStatus {
  const status = licenseStatus(endsAt, now, warningDays);
  if (status !== 'EXPIRED') {
    return status;
  }
  return now.getTime() < graceEndsAt(endsAt, graceDays).getTime() ? 'IN_GRACE' : 'EXPIRED';
}

/** The facts of a license row that decide whether it may be used. */
export interface LicenseTerms {
  readonly state: LicenseState;
  readonly revokedAt: Date | null;
  readonly endsAt: Date;
  readonly graceDays: number;
}

/** A usable license's position in time: its status, and the instant it stops being usable (end of grace). */
export interface LicenseUsability {
  readonly status: LicenseStatus;
  readonly usableUntil: Date;
}

/**
 * THE answer to "may this license be used now?": it is CURRENT, not revoked, and `now` is before its end plus
 * grace. Inside the grace it is still usable with status EXPIRED. Undefined when it may not be used.
 */
export function licenseUsability(license: LicenseTerms, now: Date, warningDays: number): LicenseUsability | undefined {
  if (license.state !== 'CURRENT' || license.revokedAt !== null) {
    return undefined;
  }
  const usableUntil = graceEndsAt(license.endsAt, license.graceDays);
  if (now.getTime() >= usableUntil.getTime()) {
    return undefined;
  }
  return { status: licenseStatus(license.endsAt, now, warningDays), usableUntil };
}

export function graceEndsAt(endsAt: Date, graceDays: number): Date {
  return new Date(endsAt.getTime() + graceDays * DAY_MS);
}
