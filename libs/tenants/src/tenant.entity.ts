import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn, VersionColumn } from 'typeorm';

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
export class Tenant {
  @PrimaryColumn({ type: 'uuid', default: () => 'gen_random_uuid()' })
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
  @VersionColumn({ type: 'integer' })
  version!: number;
}

/** A `tenants` row as PostgreSQL returns it from raw SQL. */
export interface TenantRow {
  id: string;
  slug: string;
  name: string;
  status: TenantStatus;
  logto_organization_id: string | null;
  owner_user_id: string | null;
  pending_logto_action: LogtoAction | null;
  sync_attempts: number;
  next_sync_at: Date | null;
  last_sync_error: string | null;
  deleted_at: Date | null;
  created_at: Date;
  updated_at: Date;
  version: number;
}

export function tenantFromRow(row: TenantRow): Tenant {
  return Object.assign(new Tenant(), {
    id: row.id,
    slug: row.slug,
    name: row.name,
    status: row.status,
    logtoOrganizationId: row.logto_organization_id,
    ownerUserId: row.owner_user_id,
    pendingLogtoAction: row.pending_logto_action,
    syncAttempts: row.sync_attempts,
    nextSyncAt: row.next_sync_at,
    lastSyncError: row.last_sync_error,
    deletedAt: row.deleted_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    version: row.version,
  });
}
