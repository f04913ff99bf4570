import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Revoked Logto principals (libs/security, PrincipalRevocations): a member removed from an organization, a user
 * deleted or suspended. One row per (organization, user), organization NULL for user-wide rows: the unique index
 * treats NULLs as equal (PostgreSQL 15), so a user has at most one user-wide row and a repeated revocation updates it.
 */
export class CreatePrincipalRevocations1795966800000 implements MigrationInterface {
  name = 'CreatePrincipalRevocations1795966800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE principal_revocations (
        id               uuid          NOT NULL DEFAULT gen_random_uuid(),
        organization_id  varchar(128),
        user_id          varchar(255)  NOT NULL,
        reason           varchar(32)   NOT NULL,
        revoked_at       timestamptz   NOT NULL,
        expires_at       timestamptz   NOT NULL,
        CONSTRAINT pk_principal_revocations PRIMARY KEY (id),
        CONSTRAINT ck_principal_revocations_reason CHECK (
          (organization_id IS NOT NULL AND reason IN ('member_removed', 'roles_changed'))
          OR (organization_id IS NULL AND reason IN ('user_deleted', 'user_suspended'))),
        CONSTRAINT ck_principal_revocations_expiry CHECK (expires_at > revoked_at)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX uq_principal_revocations_principal ON principal_revocations (organization_id, user_id) NULLS NOT DISTINCT`);
    await queryRunner.query(`CREATE INDEX ix_principal_revocations_expires ON principal_revocations (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE principal_revocations`);
  }
}
