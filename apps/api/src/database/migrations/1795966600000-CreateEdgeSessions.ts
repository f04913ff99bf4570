import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Browser sessions at the edge (libs/edge-sessions): sessions by the hash of their cookie with Logto's tokens
 * sealed, sign-in attempts under way (state, nonce, sealed PKCE verifier), and each session's organization tokens.
 */
export class CreateEdgeSessions1795966600000 implements MigrationInterface {
  name = 'CreateEdgeSessions1795966600000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE edge_sessions (
        id                    uuid          NOT NULL DEFAULT gen_random_uuid(),
        cookie_hash           varchar(64)   NOT NULL,
        subject               varchar(255)  NOT NULL,
        created_at            timestamptz   NOT NULL DEFAULT now(),
        last_seen_at          timestamptz   NOT NULL DEFAULT now(),
        idle_expires_at       timestamptz   NOT NULL,
        expires_at            timestamptz   NOT NULL,
        user_agent            varchar(256),
        source_ip             inet,
        refresh_token_sealed  text          NOT NULL,
        id_token_sealed       text          NOT NULL,
        CONSTRAINT pk_edge_sessions PRIMARY KEY (id),
        CONSTRAINT ck_edge_sessions_cookie_hash CHECK (cookie_hash ~ '^[0-9a-f]{64}$'),
        CONSTRAINT ck_edge_sessions_expiry CHECK (idle_expires_at <= expires_at AND expires_at > created_at)
      )`);
    await queryRunner.query(`CREATE UNIQUE INDEX uq_edge_sessions_cookie_hash ON edge_sessions (cookie_hash)`);
    await queryRunner.query(`CREATE INDEX ix_edge_sessions_subject ON edge_sessions (subject)`);
    await queryRunner.query(`CREATE INDEX ix_edge_sessions_expires ON edge_sessions (expires_at)`);

    await queryRunner.query(`
      CREATE TABLE edge_sign_in_attempts (
        login_hash            varchar(64)    NOT NULL,
        state                 varchar(64)    NOT NULL,
        nonce                 varchar(64)    NOT NULL,
        code_verifier_sealed  text           NOT NULL,
        redirect_to           varchar(2048)  NOT NULL,
        created_at            timestamptz    NOT NULL DEFAULT now(),
        expires_at            timestamptz    NOT NULL,
        CONSTRAINT pk_edge_sign_in_attempts PRIMARY KEY (login_hash),
        CONSTRAINT ck_edge_sign_in_attempts_login_hash CHECK (login_hash ~ '^[0-9a-f]{64}$')
      )`);
    await queryRunner.query(`CREATE INDEX ix_edge_sign_in_attempts_expires ON edge_sign_in_attempts (expires_at)`);

    await queryRunner.query(`
      CREATE TABLE edge_session_organization_tokens (
        session_id           uuid          NOT NULL,
        organization_id      varchar(128)  NOT NULL,
        access_token_sealed  text          NOT NULL,
        expires_at           timestamptz   NOT NULL,
        CONSTRAINT pk_edge_session_organization_tokens PRIMARY KEY (session_id, organization_id),
        CONSTRAINT fk_edge_session_organization_tokens_session FOREIGN KEY (session_id) REFERENCES edge_sessions (id) ON DELETE CASCADE
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE edge_session_organization_tokens`);
    await queryRunner.query(`DROP TABLE edge_sign_in_attempts`);
    await queryRunner.query(`DROP TABLE edge_sessions`);
  }
}
