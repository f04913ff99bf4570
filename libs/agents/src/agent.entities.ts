import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Tenant } from '@app/tenants';

/** The public half of an agent's own Ed25519 key (RFC 8037). Never a private key: the table refuses `d`. */
export interface Ed25519PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
}

/** The unique index that refuses a second agent with the same public key. */
export const AGENT_PUBLIC_KEY_INDEX = 'uq_agents_public_key';

// Declared as the migration (CreateAgents1795966200000) creates them, so TypeORM's schema builder proposes no change.

/**
 * One bootstrap token handed to an operator: its limits and state. The token itself is never stored; it is a
 * machine token (agent-bootstrap+jwt) whose `sub` is this row's id, and expiry and revocation are enforced here.
 */
@Entity({ name: 'agent_bootstrap_tokens' })
@Index('ix_agent_bootstrap_tokens_tenant_created', ['tenantId', 'createdAt', 'id'])
@Check('ck_agent_bootstrap_tokens_max_uses', 'max_uses BETWEEN 1 AND 100')
@Check('ck_agent_bootstrap_tokens_uses', 'uses BETWEEN 0 AND max_uses')
@Check('ck_agent_bootstrap_tokens_expiry', 'expires_at > created_at')
@Check('ck_agent_bootstrap_tokens_revoked', '(revoked_at IS NULL) = (revoked_by IS NULL)')
export class AgentBootstrapToken {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_agent_bootstrap_tokens' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => Tenant, { name: 'fk_agent_bootstrap_tokens_tenant', onDelete: 'RESTRICT' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 128, nullable: true })
  label!: string | null;

  @Column({ name: 'max_uses', type: 'integer' })
  maxUses!: number;

  @Column({ type: 'integer', default: 0 })
  uses!: number;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;

  @Column({ name: 'revoked_by', type: 'varchar', length: 255, nullable: true })
  revokedBy!: string | null;

  @Column({ name: 'created_by', type: 'varchar', length: 255 })
  createdBy!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

/** A registered agent of a tenant, authenticated later by assertions signed with its own private key. */
@Entity({ name: 'agents' })
@Index('ix_agents_tenant_created', ['tenantId', 'createdAt', 'id'])
// The seat count of registration: enabled agents per tenant.
@Index('ix_agents_tenant_enabled', ['tenantId'], { where: 'enabled' })
@Check(
  'ck_agents_public_key',
  `jsonb_typeof(public_key_jwk) = 'object' AND public_key_jwk->>'kty' = 'OKP' AND public_key_jwk->>'crv' = 'Ed25519' AND NOT (public_key_jwk ? 'd')`,
)
@Check('ck_agents_disabled', 'enabled = (disabled_at IS NULL)')
// One agent per key, on the expression public_key_jwk->>'x' (UniqueAgentPublicKey1795966500000), which TypeORM's
// schema builder cannot express: declared by name only, and left alone by it.
@Index(AGENT_PUBLIC_KEY_INDEX, { synchronize: false })
export class Agent {
  // DEFAULT gen_random_uuid(), which TypeORM reads back as a generated uuid column.
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_agents' })
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  @ForeignKey(() => Tenant, { name: 'fk_agents_tenant', onDelete: 'RESTRICT' })
  tenantId!: string;

  @Column({ type: 'varchar', length: 128 })
  name!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  environment!: string | null;

  @Column({ name: 'public_key_jwk', type: 'jsonb' })
  publicKeyJwk!: Ed25519PublicJwk;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  @Column({ name: 'disabled_by', type: 'varchar', length: 255, nullable: true })
  disabledBy!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz', nullable: true })
  lastSeenAt!: Date | null;
}

/** An assertion jti already used by an agent, kept until the assertion would have expired anyway. */
@Entity({ name: 'agent_assertion_jtis' })
@Index('ix_agent_assertion_jtis_expires', ['expiresAt'])
export class AgentAssertionJti {
  @PrimaryColumn({ name: 'agent_id', type: 'uuid', primaryKeyConstraintName: 'pk_agent_assertion_jtis' })
  @ForeignKey(() => Agent, { name: 'fk_agent_assertion_jtis_agent', onDelete: 'CASCADE' })
  agentId!: string;

  @PrimaryColumn({ type: 'varchar', length: 128, primaryKeyConstraintName: 'pk_agent_assertion_jtis' })
  jti!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
