import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenant licenses (libs/licensing). Rows are kept forever (history); the partial unique index allows exactly one
 * CURRENT license per tenant, whatever the application does.
 */
export class CreateLicenses1795965800000 implements MigrationInterface {
  name = 'CreateLicenses1795965800000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE licenses (
        id             uuid         NOT NULL DEFAULT gen_random_uuid(),
        tenant_id      uuid         NOT NULL,
        tier           varchar(32)  NOT NULL,
        features       jsonb        NOT NULL,
        limits         jsonb        NOT NULL,
        starts_at      timestamptz  NOT NULL,
        ends_at        timestamptz  NOT NULL,
        grace_days     integer      NOT NULL,
        state          varchar(16)  NOT NULL,
        revoked_at     timestamptz,
        revoked_by     varchar(255),
        revoke_reason  varchar(500),
        issued_by      varchar(255) NOT NULL,
        created_at     timestamptz  NOT NULL DEFAULT now(),
        CONSTRAINT pk_licenses PRIMARY KEY (id),
        CONSTRAINT fk_licenses_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE RESTRICT,
        CONSTRAINT ck_licenses_state CHECK (state IN ('CURRENT', 'SUPERSEDED', 'REVOKED')),
        CONSTRAINT ck_licenses_revoked CHECK ((state = 'REVOKED') = (revoked_at IS NOT NULL)),
        CONSTRAINT ck_licenses_period CHECK (ends_at > starts_at),
        CONSTRAINT ck_licenses_grace_days CHECK (grace_days BETWEEN 0 AND 90),
        CONSTRAINT ck_licenses_features CHECK (jsonb_typeof(features) = 'array'),
        CONSTRAINT ck_licenses_limits CHECK (jsonb_typeof(limits) = 'object')
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX uq_licenses_current ON licenses (tenant_id) WHERE state = 'CURRENT'`);
    // History, newest first, per tenant.
    await queryRunner.query(`CREATE INDEX ix_licenses_tenant_created ON licenses (tenant_id, created_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE licenses`);
  }
}
