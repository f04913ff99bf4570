import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A short-lived record that a Logto user's tokens issued up to `revokedAt` are refused: in one organization (a member
 * removed, or their roles changed through this API) or, with `organizationId` null, everywhere (the user deleted or
 * suspended). One row per (organization or none, user): a later revocation moves `revokedAt` forward. Kept until
 * `expiresAt`, which outlives every token it can refuse (REVOCATION_RETENTION_SECONDS). Declared as the migration
 * CreatePrincipalRevocations1795966800000 creates it; owned by the security lib (PrincipalRevocations).
 */
@Entity({ name: 'principal_revocations' })
// The migration makes it NULLS NOT DISTINCT (one user-wide row per user); the schema builder compares name, columns and uniqueness.
@Index('uq_principal_revocations_principal', ['organizationId', 'userId'], { unique: true })
@Index('ix_principal_revocations_expires', ['expiresAt'])
@Check(
  'ck_principal_revocations_reason',
  `(organization_id IS NOT NULL AND reason IN ('member_removed', 'roles_changed')) OR (organization_id IS NULL AND reason IN ('user_deleted', 'user_suspended'))`,
)
@Check('ck_principal_revocations_expiry', 'expires_at > revoked_at')
export class PrincipalRevocation {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_principal_revocations' })
  id!: string;

  /** The Logto organization; null: every organization and the user's tokens without one. */
  @Column({ name: 'organization_id', type: 'varchar', length: 128, nullable: true })
  organizationId!: string | null;

  /** The Logto user id (the tokens' `sub`). */
  @Column({ name: 'user_id', type: 'varchar', length: 255 })
  userId!: string;

  @Column({ type: 'varchar', length: 32 })
  reason!: string;

  @Column({ name: 'revoked_at', type: 'timestamptz' })
  revokedAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  /**
   * A `member_removed` row: when the latest removal happened (Logto's time when its webhook said so, else when it was
   * recorded). Null on rows from before RecordMemberReadditions1795967300000 and on other reasons' rows.
   */
  @Column({ name: 'removed_at', type: 'timestamptz', nullable: true })
  removedAt!: Date | null;

  /** A `member_removed` row: the member's latest known re-addition to the organization (MemberRemovals.readded). */
  @Column({ name: 'readded_at', type: 'timestamptz', nullable: true })
  readdedAt!: Date | null;
}
