import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The signed event feed (libs/events): the outbox, webhook subscriptions and the deliveries owed to them.
 *
 * Positions are assigned at commit time. A sequence value taken at insert time would not do: a transaction that
 * took position 7 may commit after one that took 8, and a reader that already read 8 would skip 7 for ever.
 * Instead each row is inserted with a NULL position and a deferred constraint trigger (run as part of COMMIT)
 * takes a transaction-scoped advisory lock and only then draws the position. The lock is held until the commit
 * is visible, so transactions draw positions one at a time in the order they become visible: once position n is
 * visible, every lower position is visible too. The lock is held only for the commit itself, not for the change.
 * Readers read only rows with a position (their own uncommitted rows have none).
 */
export class CreateEventFeed1795966700000 implements MigrationInterface {
  name = 'CreateEventFeed1795966700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SEQUENCE event_outbox_position_seq AS bigint`);
    await queryRunner.query(`
      CREATE TABLE event_outbox (
        id          uuid          NOT NULL DEFAULT gen_random_uuid(),
        position    bigint,
        type        varchar(64)   NOT NULL,
        tenant_id   uuid,
        data        jsonb         NOT NULL,
        created_at  timestamptz   NOT NULL DEFAULT now(),
        CONSTRAINT pk_event_outbox PRIMARY KEY (id),
        CONSTRAINT ck_event_outbox_type CHECK (type ~ '^[a-z]+\\.[a-z_]+$')
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX uq_event_outbox_position ON event_outbox (position)`);
    await queryRunner.query(`CREATE INDEX ix_event_outbox_created ON event_outbox (created_at)`);
    // 0x63616d656c657631 ("camelev1"): the advisory lock key of outbox commits; no other lock uses it.
    await queryRunner.query(`
      CREATE FUNCTION event_outbox_assign_position() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(7161125164873512497);
        UPDATE event_outbox SET position = nextval('event_outbox_position_seq') WHERE id = NEW.id;
        RETURN NULL;
      END
      $$`);
    await queryRunner.query(`
      CREATE CONSTRAINT TRIGGER tr_event_outbox_position AFTER INSERT ON event_outbox
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION event_outbox_assign_position()`);

    await queryRunner.query(`
      CREATE TABLE event_subscriptions (
        id          uuid           NOT NULL DEFAULT gen_random_uuid(),
        url         varchar(2048)  NOT NULL,
        events      text[]         NOT NULL,
        created_at  timestamptz    NOT NULL DEFAULT now(),
        created_by  varchar(255)   NOT NULL,
        CONSTRAINT pk_event_subscriptions PRIMARY KEY (id)
      )`);

    await queryRunner.query(`
      CREATE TABLE event_deliveries (
        id               uuid          NOT NULL DEFAULT gen_random_uuid(),
        subscription_id  uuid          NOT NULL,
        event_id         uuid          NOT NULL,
        tenant_id        uuid,
        status           varchar(16)   NOT NULL DEFAULT 'PENDING',
        attempts         integer       NOT NULL DEFAULT 0,
        next_attempt_at  timestamptz   NOT NULL DEFAULT now(),
        last_attempt_at  timestamptz,
        last_error       varchar(255),
        created_at       timestamptz   NOT NULL DEFAULT now(),
        CONSTRAINT pk_event_deliveries PRIMARY KEY (id),
        CONSTRAINT fk_event_deliveries_subscription FOREIGN KEY (subscription_id) REFERENCES event_subscriptions (id) ON DELETE CASCADE,
        CONSTRAINT fk_event_deliveries_event FOREIGN KEY (event_id) REFERENCES event_outbox (id) ON DELETE RESTRICT,
        CONSTRAINT ck_event_deliveries_status CHECK (status IN ('PENDING', 'DEAD'))
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX uq_event_deliveries_subscription_event ON event_deliveries (subscription_id, event_id)`);
    await queryRunner.query(`CREATE INDEX ix_event_deliveries_due ON event_deliveries (status, next_attempt_at)`);
    await queryRunner.query(`CREATE INDEX ix_event_deliveries_event ON event_deliveries (event_id)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE event_deliveries`);
    await queryRunner.query(`DROP TABLE event_subscriptions`);
    await queryRunner.query(`DROP TABLE event_outbox`);
    await queryRunner.query(`DROP FUNCTION event_outbox_assign_position()`);
    await queryRunner.query(`DROP SEQUENCE event_outbox_position_seq`);
  }
}
