import { Check, Column, Entity, ForeignKey, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

// Declared as CreateEdgeSessions1795966600000 creates them, so TypeORM's schema builder proposes no change.

/**
 * A browser's session at the edge. The cookie holds a 256-bit random id; the row holds only its SHA-256, so a copy
 * of the table signs nobody in. Logto's refresh and ID tokens are sealed (SessionSealer) with the hash as context,
 * so a sealed value moved to another row does not open.
 */
@Entity({ name: 'edge_sessions' })
@Index('uq_edge_sessions_cookie_hash', ['cookieHash'], { unique: true })
@Index('ix_edge_sessions_subject', ['subject'])
@Index('ix_edge_sessions_expires', ['expiresAt'])
@Check('ck_edge_sessions_cookie_hash', `cookie_hash ~ '^[0-9a-f]{64}$'`)
@Check('ck_edge_sessions_expiry', 'idle_expires_at <= expires_at AND expires_at > created_at')
export class EdgeSession {
  /** The public id: shown in GET /api/auth/sessions and the `sid` of identity assertions; never a credential. */
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_edge_sessions' })
  id!: string;

  @Column({ name: 'cookie_hash', type: 'varchar', length: 64 })
  cookieHash!: string;

  @Column({ type: 'varchar', length: 255 })
  subject!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz', default: () => 'now()' })
  lastSeenAt!: Date;

  @Column({ name: 'idle_expires_at', type: 'timestamptz' })
  idleExpiresAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;

  @Column({ name: 'user_agent', type: 'varchar', length: 256, nullable: true })
  userAgent!: string | null;

  @Column({ name: 'source_ip', type: 'inet', nullable: true })
  sourceIp!: string | null;

  @Column({ name: 'refresh_token_sealed', type: 'text' })
  refreshTokenSealed!: string;

  @Column({ name: 'id_token_sealed', type: 'text' })
  idTokenSealed!: string;
}

/**
 * A sign-in under way: what the callback checks (state), expects in the ID token (nonce) and proves to Logto (the
 * PKCE verifier, sealed). Keyed by the hash of the login cookie; deleted when the callback uses it.
 */
@Entity({ name: 'edge_sign_in_attempts' })
@Index('ix_edge_sign_in_attempts_expires', ['expiresAt'])
@Check('ck_edge_sign_in_attempts_login_hash', `login_hash ~ '^[0-9a-f]{64}$'`)
export class EdgeSignInAttempt {
  @PrimaryColumn({ name: 'login_hash', type: 'varchar', length: 64, primaryKeyConstraintName: 'pk_edge_sign_in_attempts' })
  loginHash!: string;

  @Column({ type: 'varchar', length: 64 })
  state!: string;

  @Column({ type: 'varchar', length: 64 })
  nonce!: string;

  @Column({ name: 'code_verifier_sealed', type: 'text' })
  codeVerifierSealed!: string;

  @Column({ name: 'redirect_to', type: 'varchar', length: 2048 })
  redirectTo!: string;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}

/**
 * The organization-scoped access token a session last obtained for one organization, sealed: a replica that waited
 * on the session's row lock while another refreshed reuses it instead of spending the (rotated) refresh token again.
 */
@Entity({ name: 'edge_session_organization_tokens' })
export class EdgeSessionOrganizationToken {
  @PrimaryColumn({ name: 'session_id', type: 'uuid', primaryKeyConstraintName: 'pk_edge_session_organization_tokens' })
  @ForeignKey(() => EdgeSession, { name: 'fk_edge_session_organization_tokens_session', onDelete: 'CASCADE' })
  sessionId!: string;

  @PrimaryColumn({ name: 'organization_id', type: 'varchar', length: 128, primaryKeyConstraintName: 'pk_edge_session_organization_tokens' })
  organizationId!: string;

  @Column({ name: 'access_token_sealed', type: 'text' })
  accessTokenSealed!: string;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
