import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Agents (libs/agents): bootstrap-token rows (never the token itself), registered agents with their own Ed25519
 * public key, the assertion jtis already used (replay protection shared by every replica), and the audit trail.
 */
export class CreateAgents1795966200000 implements MigrationInterface {
  name = 'CreateAgents1795966200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE agent_bootstrap_tokens (
        id          uuid          NOT NULL,
        tenant_id   uuid          NOT NULL,
        label       varchar(128),
        max_uses    integer       NOT NULL,
        uses        integer       NOT NULL DEFAULT 0,
        expires_at  timestamptz   NOT NULL,
        revoked_at  timestamptz,
        revoked_by  varchar(255),
        created_by  varchar(255)  NOT NULL,
        created_at  timestamptz   NOT NULL DEFAULT now(),
        CONSTRAINT pk_agent_bootstrap_tokens PRIMARY KEY (id),
        CONSTRAINT fk_agent_bootstrap_tokens_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE RESTRICT,
        CONSTRAINT ck_agent_bootstrap_tokens_max_uses CHECK (max_uses BETWEEN 1 AND 100),
        CONSTRAINT ck_agent_bootstrap_tokens_uses CHECK (uses BETWEEN 0 AND max_uses),
        CONSTRAINT ck_agent_bootstrap_tokens_expiry CHECK (expires_at > created_at),
        CONSTRAINT ck_agent_bootstrap_tokens_revoked CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX ix_agent_bootstrap_tokens_tenant_created ON agent_bootstrap_tokens (tenant_id, created_at DESC, id DESC)`);

    await queryRunner.query(`
      CREATE TABLE agents (
        id              uuid          NOT NULL DEFAULT gen_random_uuid(),
        tenant_id       uuid          NOT NULL,
        name            varchar(128)  NOT NULL,
        environment     varchar(64),
        public_key_jwk  jsonb         NOT NULL,
        enabled         boolean       NOT NULL DEFAULT true,
        disabled_at     timestamptz,
        disabled_by     varchar(255),
        created_at      timestamptz   NOT NULL DEFAULT now(),
        last_seen_at    timestamptz,
        CONSTRAINT pk_agents PRIMARY KEY (id),
        CONSTRAINT fk_agents_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE RESTRICT,
        CONSTRAINT ck_agents_public_key CHECK (
          jsonb_typeof(public_key_jwk) = 'object' AND public_key_jwk->>'kty' = 'OKP' AND public_key_jwk->>'crv' = 'Ed25519'
          AND NOT (public_key_jwk ? 'd')
        ),
        CONSTRAINT ck_agents_disabled CHECK (enabled = (disabled_at IS NULL))
      )`);
    await queryRunner.query(`CREATE INDEX ix_agents_tenant_created ON agents (tenant_id, created_at DESC, id DESC)`);
    // The seat count of registration: enabled agents per tenant.
    await queryRunner.query(`CREATE INDEX ix_agents_tenant_enabled ON agents (tenant_id) WHERE enabled`);

    await queryRunner.query(`
      CREATE TABLE agent_assertion_jtis (
        agent_id    uuid          NOT NULL,
        jti         varchar(128)  NOT NULL,
        expires_at  timestamptz   NOT NULL,
        CONSTRAINT pk_agent_assertion_jtis PRIMARY KEY (agent_id, jti),
        CONSTRAINT fk_agent_assertion_jtis_agent FOREIGN KEY (agent_id) REFERENCES agents (id) ON DELETE CASCADE
      )`);
    await queryRunner.query(`CREATE INDEX ix_agent_assertion_jtis_expires ON agent_assertion_jtis (expires_at)`);

    await queryRunner.query(`
      CREATE TABLE audit_events (
        id          bigint        GENERATED ALWAYS AS IDENTITY,
        tenant_id   uuid,
        actor       varchar(255)  NOT NULL,
        action      varchar(64)   NOT NULL,
        target_id   varchar(64),
        source_ip   inet,
        reason      varchar(255),
        created_at  timestamptz   NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT pk_audit_events PRIMARY KEY (id),
        CONSTRAINT fk_audit_events_tenant FOREIGN KEY (tenant_id) REFERENCES tenants (id) ON DELETE RESTRICT
      )`);
    await queryRunner.query(`CREATE INDEX ix_audit_events_tenant_created ON audit_events (tenant_id, created_at DESC, id DESC)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE audit_events`);
    await queryRunner.query(`DROP TABLE agent_assertion_jtis`);
    await queryRunner.query(`DROP TABLE agents`);
    await queryRunner.query(`DROP TABLE agent_bootstrap_tokens`);
  }
}
