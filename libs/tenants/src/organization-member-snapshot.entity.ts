import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Tenant } from './tenant.entity';

/**
 * One member of a tenant's Logto organization as the reconciler's last drift pass saw it (OrganizationMemberSnapshots).
 * Declared as the migration CreateOrganizationMemberSnapshots1795967100000 creates it; owned by the tenants lib.
 */
@Entity({ name: 'organization_member_snapshots' })
@Index('ix_organization_member_snapshots_tenant', ['tenantId'])
export class OrganizationMemberSnapshot {
  @PrimaryColumn({ name: 'organization_id', type: 'varchar', length: 128, primaryKeyConstraintName: 'pk_organization_member_snapshots' })
  organizationId!: string;

  @PrimaryColumn({ name: 'user_id', type: 'varchar', length: 255, primaryKeyConstraintName: 'pk_organization_member_snapshots' })
  userId!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @ManyToOne(() => Tenant, { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'fk_organization_member_snapshots_tenant' })
  tenant?: Tenant;

  @Column({ name: 'seen_at', type: 'timestamptz', default: () => 'now()' })
  seenAt!: Date;
}
