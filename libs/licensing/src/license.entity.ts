import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';
import { Tenant } from '@app/tenants';
import type { LicenseState } from './license-status';
import type { LicenseLimits } from './tiers/tier-catalog';

/**
 * One issued license of a tenant. Rows are never deleted: issuing supersedes the CURRENT one, revoking ends it.
 * Exactly one CURRENT per tenant is enforced by the partial unique index uq_licenses_current.
 */
@Entity({ name: 'licenses' })
@Index('uq_licenses_current', ['tenantId'], { unique: true, where: `state = 'CURRENT'` })
// History, newest first, per tenant: (tenant_id, created_at DESC, id DESC); TypeORM declares no column order.
@Index('ix_licenses_tenant_created', ['tenantId', 'createdAt', 'id'])
@Check('ck_licenses_state', `state IN ('CURRENT', 'SUPERSEDED', 'REVOKED')`)
@Check('ck_licenses_revoked', `(state = 'REVOKED') = (revoked_at IS NOT NULL)`)
@Check('ck_licenses_period', `ends_at > starts_at`)
@Check('ck_licenses_grace_days', `grace_days BETWEEN 0 AND 90`)
@Check('ck_licenses_features', `jsonb_typeof(features) = 'array'`)
@Check('ck_licenses_limits', `jsonb_typeof(limits) = 'object'`)
export class License {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_licenses' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => Tenant, { name: 'fk_licenses_tenant', onDelete: 'RESTRICT' })
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
