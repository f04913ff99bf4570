import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Remembered responses of POST requests sent with an Idempotency-Key (see libs/service-core/src/idempotency).
 * One row per caller, route and key; `state` is IN_PROGRESS while the first request runs, COMPLETED once its
 * response is stored. Rows expire after 24 h and are purged periodically.
 */
export class CreateIdempotencyKeys1795965600000 implements MigrationInterface {
  name = 'CreateIdempotencyKeys1795965600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE idempotency_keys (
        caller            varchar(512) NOT NULL,
        route             varchar(512) NOT NULL,
        idempotency_key   varchar(255) NOT NULL,
        request_hash      char(64)     NOT NULL,
        state             varchar(16)  NOT NULL,
        owner_token       uuid         NOT NULL,
        locked_until      timestamptz  NOT NULL,
        response_status   integer,
        response_headers  jsonb,
        response_body     jsonb,
        created_at        timestamptz  NOT NULL DEFAULT now(),
        expires_at        timestamptz  NOT NULL,
        CONSTRAINT pk_idempotency_keys PRIMARY KEY (caller, route, idempotency_key),
        CONSTRAINT ck_idempotency_keys_state CHECK (state IN ('IN_PROGRESS', 'COMPLETED')),
        CONSTRAINT ck_idempotency_keys_completed CHECK (state <> 'COMPLETED' OR response_status IS NOT NULL)
      )`);
    await queryRunner.query(`CREATE INDEX ix_idempotency_keys_expires_at ON idempotency_keys (expires_at)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE idempotency_keys`);
  }
}
