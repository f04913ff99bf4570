import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique, UpdateDateColumn, VersionColumn } from 'typeorm';

export const TENANT_STATUSES = ['PROVISIONING', 'ACTIVE', 'SUSPENDED', 'DELETED'] as const;
/** PROVISIONING until its Logto organization exists (and the owner is in it); DELETED is final. */
export type TenantStatus = (typeof TENANT_STATUSES)[number];
export const TenantStatus = {
  PROVISIONING: 'PROVISIONING',
  ACTIVE: 'ACTIVE',
  SUSPENDED: 'SUSPENDED',
  DELETED: 'DELETED',
} as const satisfies Record<TenantStatus, TenantStatus>;

/**
 * What still has to happen in Logto for the row to be true there:
 * PROVISION (organization + owner, then ACTIVE), RENAME (organization name), DELETE (organization gone).
 */
export const LOGTO_ACTIONS = ['PROVISION', 'RENAME', 'DELETE'] as const;
export type LogtoAction = (typeof LOGTO_ACTIONS)[number];

/**
 * A tenant: one customer of the platform, mapped 1:1 to a Logto organization. The Logto sync state lives in
 * the row (pendingLogtoAction, syncAttempts, nextSyncAt, lastSyncError), so a restart resumes where it stopped.
 */
@Entity({ name: 'tenants' })
@Unique('uq_tenants_slug', ['slug'])
@Unique('uq_tenants_logto_organization_id', ['logtoOrganizationId'])
@Check('ck_tenants_slug', `slug ~ '^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$'`)
@Check('ck_tenants_name', `char_length(name) BETWEEN 1 AND 128`)
@Check('ck_tenants_status', `status IN ('PROVISIONING', 'ACTIVE', 'SUSPENDED', 'DELETED')`)
@Check('ck_tenants_deleted', `(status = 'DELETED') = (deleted_at IS NOT NULL)`)
@Check('ck_tenants_pending_logto_action', `pending_logto_action IN ('PROVISION', 'RENAME', 'DELETE')`)
// The reconciler's work queue: rows with something left to do in Logto, soonest first.
@Index('ix_tenants_next_sync_at', ['nextSyncAt'], { where: 'pending_logto_action IS NOT NULL' })
export class Tenant {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_tenants' })
  id!: string;

  /** DNS label, unique forever (never reused, even after deletion). */
  @Column({ type: 'varchar', length: 63 })
  slug!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  status!: TenantStatus;

  @Column({ name: 'logto_organization_id', type: 'varchar', length: 64, nullable: true })
  logtoOrganizationId!: string | null;

  @Column({ name: 'owner_user_id', type: 'varchar', length: 128, nullable: true })
  ownerUserId!: string | null;

  @Column({ name: 'pending_logto_action', type: 'varchar', length: 16, nullable: true })
  pendingLogtoAction!: LogtoAction | null;

  @Column({ name: 'sync_attempts', type: 'integer', default: 0 })
  syncAttempts!: number;

  @Column({ name: 'next_sync_at', type: 'timestamptz', nullable: true })
  nextSyncAt!: Date | null;

  @Column({ name: 'last_sync_error', type: 'text', nullable: true })
  lastSyncError!: string | null;

  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  /** Bumped by every change a client can see; the ETag is `W/"<version>"`. */
  @VersionColumn({ type: 'integer', default: 1 })
  version!: number;
}
