import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two things the Logto sync of a tenant keeps (libs/tenants):
 * - provisioning_marker: a random value the API generates per tenant and writes into the customData of the
 *   organization it creates. After an ambiguous create only an organization carrying it is adopted; another one
 *   that merely names the tenant id (anyone able to create organizations in Logto could plant one) is drift.
 *   Existing rows get one here (two random UUIDs, 244 random bits).
 * - last_sync_error_code and sync_failed_at: Logto's error code of the last failed attempt, and when a permanent
 *   refusal (a 4xx such as an unknown owner) stopped the retries until an operator asks again.
 */
export class TenantSyncMarkerAndFailure1795966400000 implements MigrationInterface {
  name = 'TenantSyncMarkerAndFailure1795966400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tenants
        ADD COLUMN provisioning_marker   varchar(64),
        ADD COLUMN last_sync_error_code  varchar(128),
        ADD COLUMN sync_failed_at        timestamptz`);
    await queryRunner.query(`UPDATE tenants SET provisioning_marker = replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')`);
    await queryRunner.query(`ALTER TABLE tenants ALTER COLUMN provisioning_marker SET NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE tenants ADD CONSTRAINT ck_tenants_sync_failed CHECK (sync_failed_at IS NULL OR pending_logto_action IS NOT NULL)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE tenants
        DROP CONSTRAINT ck_tenants_sync_failed,
        DROP COLUMN sync_failed_at,
        DROP COLUMN last_sync_error_code,
        DROP COLUMN provisioning_marker`);
  }
}
