import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { LicenseState } from './license-status';
import type { LicenseLimits } from './tiers/tier-catalog';

/**
 * One issued license of a tenant. Rows are never deleted: issuing supersedes the CURRENT one, revoking ends it.
 * Exactly one CURRENT per tenant is enforced by the partial unique index uq_licenses_current.
 */
@Entity({ name: 'licenses' })
@Index('uq_licenses_current', ['tenantId'], { unique: true, where: `state = 'CURRENT'` })
export class License {
  @PrimaryColumn({ type: 'uuid', default: () => 'gen_random_uuid()' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 32 })
  tier!: string;

  @Column({ type: 'jsonb' })
  features!: string[];

  @Column({ type: 'jsonb' })
  limits!: LicenseLimits;

  @Column({ name: 'starts_at', type: 'timestamptz' })
  startsAt!: Date;

  @Column({ name: 'ends_at', type: 'timestamptz' })
  endsAt!: Date;

  @Column({ name: 'grace_days', type: 'integer' })
  graceDays!: number;

  @Column({ type: 'varchar', length: 16 })
  state!: LicenseState;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by', type: 'varchar', length: 255, nullable: true })
  revokedBy!: string | null;

  @Column({ name: 'revoke_reason', type: 'varchar', length: 500, nullable: true })
  revokeReason!: string | null;

  @Column({ name: 'issued_by', type: 'varchar', length: 255 })
  issuedBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

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
