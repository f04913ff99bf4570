import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A member removed, re-added and removed again must give a second `member.removed` event (issue 16): the removal
 * record (principal_revocations, owned by the security lib) learns when the removal happened (`removed_at`, Logto's
 * time when its webhook says so) and the member's last known re-addition since (`readded_at`). MemberRemovals
 * compares the two. Both null on rows written before (a removal then counts from `revoked_at`).
 */
export class RecordMemberReadditions1795967300000 implements MigrationInterface {
  name = 'RecordMemberReadditions1795967300000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE principal_revocations ADD COLUMN removed_at timestamptz NULL, ADD COLUMN readded_at timestamptz NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE principal_revocations DROP COLUMN readded_at, DROP COLUMN removed_at`);
  }
}
