import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants and the state of their Logto organization sync (libs/tenants). Slugs stay unique after a soft
 * delete, so a slug is never reused; a Logto organization belongs to at most one tenant.
 */
export class CreateTenants1795965700000 implements MigrationInterface {
  name = 'CreateTenants1795965700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE tenants (
        id                     uuid         NOT NULL DEFAULT gen_random_uuid(),
        slug                   varchar(63)  NOT NULL,
        name                   varchar(128) NOT NULL,
        status                 varchar(16)  NOT NULL,
        logto_organization_id  varchar(64),
        owner_user_id          varchar(128),
        pending_logto_action   varchar(16),
        sync_attempts          integer      NOT NULL DEFAULT 0,
        next_sync_at           timestamptz,
        last_sync_error        text,
        deleted_at             timestamptz,
        created_at             timestamptz  NOT NULL DEFAULT now(),
        updated_at             timestamptz  NOT NULL DEFAULT now(),
        version                integer      NOT NULL DEFAULT 1,
        CONSTRAINT pk_tenants PRIMARY KEY (id),
        CONSTRAINT uq_tenants_slug UNIQUE (slug),
        CONSTRAINT uq_tenants_logto_organization_id UNIQUE (logto_organization_id),
        CONSTRAINT ck_tenants_slug CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{1,61})[a-z0-9]$'),
        CONSTRAINT ck_tenants_name CHECK (char_length(name) BETWEEN 1 AND 128),
        CONSTRAINT ck_tenants_status CHECK (status IN ('PROVISIONING', 'ACTIVE', 'SUSPENDED', 'DELETED')),
        CONSTRAINT ck_tenants_deleted CHECK ((status = 'DELETED') = (deleted_at IS NOT NULL)),
        CONSTRAINT ck_tenants_pending_logto_action CHECK (pending_logto_action IN ('PROVISION', 'RENAME', 'DELETE'))
      )`);
    // The reconciler's work queue: rows with something left to do in Logto, soonest first.
    await queryRunner.query(
      `CREATE INDEX ix_tenants_next_sync_at ON tenants (next_sync_at) WHERE pending_logto_action IS NOT NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE tenants`);
  }
}
