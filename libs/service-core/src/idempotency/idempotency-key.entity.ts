import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export type IdempotencyKeyState = 'IN_PROGRESS' | 'COMPLETED';

/**
 * A remembered POST sent with an Idempotency-Key: one row per caller, route and key. IN_PROGRESS while the first
 * request runs (held by `ownerToken` until `lockedUntil`), COMPLETED once its response is stored; gone after `expiresAt`.
 */
@Entity({ name: 'idempotency_keys' })
@Check('ck_idempotency_keys_state', `state IN ('IN_PROGRESS', 'COMPLETED')`)
@Check('ck_idempotency_keys_completed', `state <> 'COMPLETED' OR response_status IS NOT NULL`)
@Index('ix_idempotency_keys_expires_at', ['expiresAt'])
export class IdempotencyKey {
  @PrimaryColumn({ type: 'varchar', length: 512, primaryKeyConstraintName: 'pk_idempotency_keys' })
  caller!: string;

  @PrimaryColumn({ type: 'varchar', length: 512, primaryKeyConstraintName: 'pk_idempotency_keys' })
  route!: string;

  @PrimaryColumn({ name: 'idempotency_key', type: 'varchar', length: 255, primaryKeyConstraintName: 'pk_idempotency_keys' })
  key!: string;

  /** SHA-256 (hex) of the query string and canonical body: what "the same request" means. */
  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: IdempotencyKeyState;

  @Column({ name: 'owner_token', type: 'uuid' })
  ownerToken!: string;

  @Column({ name: 'locked_until', type: 'timestamptz' })
  lockedUntil!: Date;

  @Column({ name: 'response_status', type: 'integer', nullable: true })
  responseStatus!: number | null;

  @Column({ name: 'response_headers', type: 'jsonb', nullable: true })
  responseHeaders!: Record<string, string> | null;

  @Column({ name: 'response_body', type: 'jsonb', nullable: true })
  responseBody!: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
