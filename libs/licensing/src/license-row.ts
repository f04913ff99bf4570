import { License } from './license.entity';
import type { LicenseState } from './license-status';
import type { LicenseLimits } from './tiers/tier-catalog';

// Transitional: the agents lib still reads licenses with its own SQL. Delete this file once it calls
// LicensingService.usableLicense (helper "agents", issue 11).

/** A `licenses` row as PostgreSQL returns it from raw SQL. */
export interface LicenseRow {
  id: string;
  tenant_id: string;
  tier: string;
  features: string[];
  limits: LicenseLimits;
  starts_at: Date;
  ends_at: Date;
  grace_days: number;
  state: LicenseState;
  revoked_at: Date | null;
  revoked_by: string | null;
  revoke_reason: string | null;
  issued_by: string;
  created_at: Date;
}

export function licenseFromRow(row: LicenseRow): License {
  return Object.assign(new License(), {
    id: row.id,
    tenantId: row.tenant_id,
    tier: row.tier,
    features: row.features,
    limits: row.limits,
    startsAt: new Date(row.starts_at),
    endsAt: new Date(row.ends_at),
    graceDays: row.grace_days,
    state: row.state,
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    revokedBy: row.revoked_by,
    revokeReason: row.revoke_reason,
    issuedBy: row.issued_by,
    createdAt: new Date(row.created_at),
  });
}
