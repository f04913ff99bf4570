import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The members each tenant's Logto organization had at the reconciler's last drift pass (libs/tenants,
 * OrganizationMemberSnapshots): Logto does not retry a failed webhook delivery, so a user in the snapshot and gone
 * from Logto at the next pass is a removal the webhook did not bring. Rows leave with the organization's tenant.
 */
export class CreateOrganizationMemberSnapshots1795967100000 implements MigrationInterface {
  name = 'CreateOrganizationMemberSnapshots1795967100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE organization_member_snapshots (
        tenant_id        uuid          NOT NULL,
        organization_id  varchar(128)  NOT NULL,
        user_id          varchar(255)  NOT NULL,
        seen_at          timestamptz   NOT NULL DEFAULT now(),
        CONSTRAINT pk_organization_member_snapshots PRIMARY KEY (organization_id, user_id),
        CONSTRAINT fk_organization_member_snapshots_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX ix_organization_member_snapshots_tenant ON organization_member_snapshots (tenant_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE organization_member_snapshots`);
  }
}
