import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tenant lifecycle after a delete: restore within TENANT_RETENTION_DAYS, then a purge that survives a crash
 * half-way. A purge records in the row when it started, which of its steps are done (each idempotent) and the lease
 * of the replica running it; purged_at marks the tombstone (status stays DELETED, the slug is never reused).
 * A deleted tenant no longer queues its organization's deletion at once (the purge does), so restoring it finds
 * the organization and its members as they were. Tenants deleted before it are purged at the next pass.
 */
export class TenantRetentionAndPurge1795966900000 implements MigrationInterface {
  name = 'TenantRetentionAndPurge1795966900000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tenants
        ADD COLUMN purge_started_at timestamptz NULL,
        ADD COLUMN purge_steps text[] NOT NULL DEFAULT '{}',
        ADD COLUMN purge_lease_until timestamptz NULL,
        ADD COLUMN purged_at timestamptz NULL,
        ADD CONSTRAINT ck_tenants_purge CHECK ((purge_started_at IS NULL AND purged_at IS NULL) OR status = 'DELETED'),
        ADD CONSTRAINT ck_tenants_purged CHECK (purged_at IS NULL OR purge_started_at IS NOT NULL)
    `);
    await queryRunner.query(`CREATE INDEX ix_tenants_purge_due ON tenants (deleted_at) WHERE status = 'DELETED' AND purged_at IS NULL`);
    // Tenants deleted before this version lost their organization at the delete (or have its deletion pending): a
    // restore could not bring their members back, so they are not restorable; the next purge pass finishes them.
    await queryRunner.query(`UPDATE tenants SET purge_started_at = now() WHERE status = 'DELETED'`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX ix_tenants_purge_due`);
    await queryRunner.query(`
      ALTER TABLE tenants
        DROP CONSTRAINT ck_tenants_purged,
        DROP CONSTRAINT ck_tenants_purge,
        DROP COLUMN purged_at,
        DROP COLUMN purge_lease_until,
        DROP COLUMN purge_steps,
        DROP COLUMN purge_started_at
    `);
  }
}
