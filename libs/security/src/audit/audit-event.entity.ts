import { Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One audited event of the platform: who did what to which object, from where, and why it failed if it did.
 * Never a secret (no token, assertion or key). Declared as the migration CreateAgents1795966200000 creates it.
 */
@Entity({ name: 'audit_events' })
@Index('ix_audit_events_tenant_created', ['tenantId', 'createdAt', 'id'])
export class AuditEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_audit_events' })
  id!: string;

  // By table name: security sits below the tenants lib and does not import its entity.
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  @ForeignKey('tenants', { name: 'fk_audit_events_tenant', onDelete: 'RESTRICT' })
  tenantId!: string | null;

  @Column({ type: 'varchar', length: 255 })
  actor!: string;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ name: 'target_id', type: 'varchar', length: 64, nullable: true })
  targetId!: string | null;

  @Column({ name: 'source_ip', type: 'inet', nullable: true })
  sourceIp!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  reason!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;
}
