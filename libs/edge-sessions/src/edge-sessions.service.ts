import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource, EntityManager, MoreThan } from 'typeorm';
import { Change, ChangeBus, queryEntities } from '@app/service-core';
import { PrincipalRevocations, Revocation, RevocationReason, SessionSealer } from '@app/security';
import { EdgeSession, EdgeSessionOrganizationToken } from './edge-session.entities';
import { EdgeSessionsConfig, edgeSessionsConfig } from './edge-sessions.config';
import { EdgeSessionError } from './edge-sessions.errors';
import { LogtoEdgeClient } from './logto-edge-client';

/** A signed-in browser's session as the edge sees it. */
export interface ActiveSession {
  /** The public id (uuid): the one GET /api/auth/sessions shows and identity assertions name as `sid`. */
  readonly id: string;
  readonly subject: string;
}

/** A session as its owner lists it: never its cookie or tokens. */
export interface SessionSummary {
  readonly id: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly expiresAt: Date;
  readonly userAgent: string | null;
  readonly sourceIp: string | null;
}

/** Revocations on the ChangeBus: id = the session's cookie hash, or `subject:<sub>` for all of a user's sessions. */
export const EDGE_SESSION_TOPIC = 'edge-session';
const SUBJECT_PREFIX = 'subject:';
// 256 bits of randomness, base64url without padding: the only shape a session cookie has.
const COOKIE_VALUE = /^[A-Za-z0-9_-]{43}$/;
const EXTEND_EVERY_MS = 60_000;
/** An organization token is used until this long before its exp, then a fresh one is obtained. */
const TOKEN_MARGIN_MS = 60_000;
const CACHE_MAX = 10_000;
const USER_AGENT_MAX = 256;
const LIST_MAX = 100;

/**
 * What a revocation (PrincipalRevocations, heard on every replica) does to edge sessions — the one rule:
 *
 * | reason                                         | effect                                                              |
 * |------------------------------------------------|---------------------------------------------------------------------|
 * | member_removed, user_deleted, user_suspended   | every session of the user (created up to the revocation) ends: the browser signs in again |
 * | roles_changed                                  | the user's organization tokens for that organization are dropped (cached and stored); the session lives on and its next request obtains a token with the new roles |
 *
 * Each replica drops its own caches at once and deletes the rows (idempotent: whichever replica is first deletes
 * them). Whatever the reason, a token the revocations refuse is never reused or stored (a refresh that raced with the
 * revocation, or one within its clock skew), so the next request fetches another.
 */
const REVOCATION_EFFECTS: Readonly<Record<RevocationReason, 'end-sessions' | 'drop-organization-tokens'>> = {
  member_removed: 'end-sessions',
  user_deleted: 'end-sessions',
  user_suspended: 'end-sessions',
  roles_changed: 'drop-organization-tokens',
};

interface CachedSession {
  readonly session: ActiveSession;
  readonly cookieHash: string;
  readonly expiresAt: number;
  idleExpiresAt: number;
  extendedAt: number;
}

interface CachedToken {
  readonly token: string;
  readonly renewAt: number;
  readonly cookieHash: string;
  readonly subject: string;
}

export function cookieHashOf(cookieValue: string): string {
  return createHash('sha256').update(cookieValue).digest('hex');
}

/**
 * Browser sessions at the edge: created by the sign-in, found by their cookie, ended by their owner, an operator or
 * Logto, and the organization tokens they hold. Warm lookups are synchronous reads of in-memory caches keyed by the
 * cookie's hash, dropped on every replica through the ChangeBus when a session ends (and all of them while the
 * bus is down, when nothing is cached). A session's idle expiry moves at most once a minute.
 */
@Injectable()
export class EdgeSessions implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('EdgeSessions');
  private readonly sessions = new Map<string, CachedSession>();
  private readonly tokens = new Map<string, CachedToken>();
  private readonly refreshing = new Map<string, Promise<string>>();
  // Bumped by every revocation: a lookup that started before one does not cache what it read.
  private generation = 0;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    @Inject(edgeSessionsConfig.KEY) private readonly config: EdgeSessionsConfig,
    private readonly dataSource: DataSource,
    private readonly bus: ChangeBus,
    private readonly sealer: SessionSealer,
    private readonly logto: LogtoEdgeClient,
    private readonly revocations: PrincipalRevocations,
  ) {}

  onModuleInit(): void {
    this.unsubscribe.push(
      this.revocations.onRevoked((revocation) => void this.revoked(revocation)),
      this.bus.subscribe((change) => this.onChange(change)),
      this.bus.onConnectionChange((connected) => {
        if (!connected) {
          this.forgetAll();
        }
      }),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe.forEach((stop) => stop());
  }

  /** The cookie's active session from the cache alone; undefined on a miss (then find() reads the database). */
  cachedSession(cookieValue: string): ActiveSession | undefined {
    if (!COOKIE_VALUE.test(cookieValue)) {
      return undefined;
    }
    const cookieHash = cookieHashOf(cookieValue);
    const entry = this.sessions.get(cookieHash);
    if (entry === undefined) {
      return undefined;
    }
    const now = Date.now();
    if (now >= entry.idleExpiresAt || now >= entry.expiresAt) {
      this.sessions.delete(cookieHash);
      return undefined;
    }
    if (now - entry.extendedAt >= EXTEND_EVERY_MS) {
      entry.extendedAt = now;
      entry.idleExpiresAt = Math.min(now + this.config.idleTtlMs, entry.expiresAt);
      void this.extend(cookieHash);
    }
    return entry.session;
  }

  /** The active session for a cookie value, or undefined (unknown, expired, ended, malformed). */
  find(cookieValue: string): Promise<ActiveSession | undefined> | ActiveSession | undefined {
    if (!COOKIE_VALUE.test(cookieValue)) {
      return undefined;
    }
    return this.cachedSession(cookieValue) ?? this.load(cookieHashOf(cookieValue));
  }

  /** A cached organization token for the session, while it is good for at least a minute; undefined otherwise. */
  cachedOrganizationToken(sessionId: string, organizationId: string): string | undefined {
    const key = tokenKey(sessionId, organizationId);
    const entry = this.tokens.get(key);
    if (entry !== undefined && Date.now() >= entry.renewAt) {
      this.tokens.delete(key);
      return undefined;
    }
    return entry?.token;
  }

  /**
   * An access token for LOGTO_API_RESOURCE scoped to the organization: from the cache, from the session's stored
   * token, or by Logto's refresh-token grant under a row lock on the session, so replicas never spend one refresh
   * token twice (Logto rotates it: a second use would end the session). LOGTO_UNAVAILABLE keeps the session;
   * SESSION_ENDED (Logto refused the refresh token) has ended it; NOT_A_MEMBER leaves it as it was.
   */
  organizationToken(session: ActiveSession, organizationId: string): Promise<string> {
    const cached = this.cachedOrganizationToken(session.id, organizationId);
    if (cached !== undefined) {
      return Promise.resolve(cached);
    }
    const key = tokenKey(session.id, organizationId);
    let pending = this.refreshing.get(key);
    if (pending === undefined) {
      pending = this.obtainOrganizationToken(session, organizationId).finally(() => this.refreshing.delete(key));
      this.refreshing.set(key, pending);
    }
    return pending;
  }

  /** Creates a session for a completed sign-in; returns the cookie value (a fresh 256-bit id), never stored. */
  async create(input: { subject: string; refreshToken: string; idToken: string; userAgent?: string; sourceIp?: string }): Promise<{ cookieValue: string; expiresAt: Date }> {
    const cookieValue = randomBytes(32).toString('base64url');
    const cookieHash = cookieHashOf(cookieValue);
    const now = Date.now();
    const expiresAt = new Date(now + this.config.maxTtlMs);
    await this.dataSource.getRepository(EdgeSession).insert({
      cookieHash,
      subject: input.subject,
      idleExpiresAt: new Date(Math.min(now + this.config.idleTtlMs, expiresAt.getTime())),
      expiresAt,
      userAgent: boundedText(input.userAgent),
      sourceIp: input.sourceIp ?? null,
      refreshTokenSealed: this.sealer.seal(input.refreshToken, cookieHash),
      idTokenSealed: this.sealer.seal(input.idToken, cookieHash),
    });
    return { cookieValue, expiresAt };
  }

  /** The subject's active sessions, newest first. */
  async list(subject: string): Promise<SessionSummary[]> {
    const rows = await this.dataSource.getRepository(EdgeSession).find({
      where: { subject, expiresAt: MoreThan(new Date()), idleExpiresAt: MoreThan(new Date()) },
      order: { createdAt: 'DESC', id: 'DESC' },
      take: LIST_MAX,
    });
    return rows.map((row) => ({ id: row.id, createdAt: row.createdAt, lastSeenAt: row.lastSeenAt, expiresAt: row.idleExpiresAt, userAgent: row.userAgent, sourceIp: row.sourceIp }));
  }

  /** Ends one session of `subject`; false when it has none with that id. */
  async end(sessionId: string, subject: string): Promise<boolean> {
    const ended = await queryEntities(this.dataSource, EdgeSession, 'DELETE FROM edge_sessions WHERE id = $1 AND subject = $2 RETURNING cookie_hash', [sessionId, subject]);
    ended.forEach((row) => this.publish(row.cookieHash));
    return ended.length > 0;
  }

  /** Ends every session of `subject` (an operator's revocation); returns how many there were. */
  async endAllOf(subject: string): Promise<number> {
    const ended = await queryEntities(this.dataSource, EdgeSession, 'DELETE FROM edge_sessions WHERE subject = $1 RETURNING cookie_hash', [subject]);
    this.publish(`${SUBJECT_PREFIX}${subject}`);
    return ended.length;
  }

  /** Ends the cookie's session (sign-out); returns its ID token for Logto's end-session hint, when it had one. */
  async endByCookie(cookieValue: string): Promise<{ idToken?: string } | undefined> {
    if (!COOKIE_VALUE.test(cookieValue)) {
      return undefined;
    }
    const cookieHash = cookieHashOf(cookieValue);
    const [ended] = await queryEntities(this.dataSource, EdgeSession, 'DELETE FROM edge_sessions WHERE cookie_hash = $1 RETURNING cookie_hash, id_token_sealed', [cookieHash]);
    if (ended === undefined) {
      return undefined;
    }
    this.publish(cookieHash);
    return { idToken: this.openQuietly(ended.idTokenSealed, cookieHash) };
  }

  /** Applies REVOCATION_EFFECTS; resolves once the rows are gone (never rejects: a failure is logged). */
  async revoked(revocation: Revocation): Promise<void> {
    const { userId, organizationId } = revocation;
    const effect = REVOCATION_EFFECTS[revocation.reason];
    const forget =
      effect === 'end-sessions'
        ? () => this.forgetWhere((entry) => entry.subject === userId)
        : () => this.forgetWhere((entry, key) => entry.subject === userId && key !== undefined && key.endsWith(`\n${organizationId ?? ''}`), { sessions: false });
    forget();
    try {
      if (effect === 'end-sessions') {
        await this.dataSource.query('DELETE FROM edge_sessions WHERE subject = $1 AND created_at <= $2', [userId, revocation.revokedAt]);
      } else {
        await this.dataSource.query(
          `DELETE FROM edge_session_organization_tokens t USING edge_sessions s
            WHERE t.session_id = s.id AND s.subject = $1 AND t.organization_id = $2`,
          [userId, organizationId],
        );
      }
    } catch (error) {
      this.logger.warn({ err: error }, `could not apply a ${revocation.reason} revocation to edge sessions (the revoked tokens are refused anyway)`);
    }
    // A lookup that read the rows while they were being deleted may have cached them: drop again.
    forget();
  }

  /** True when a token Logto issued is already refused by a revocation (see REVOCATION_EFFECTS: never reused). */
  private refused(token: string): boolean {
    const claims = unverifiedClaims(token);
    return (
      claims !== undefined &&
      this.revocations.refuses({ kind: 'user', subject: claims.sub, organizationId: claims.organizationId, issuedAt: claims.iat === undefined ? undefined : new Date(claims.iat * 1000) })
    );
  }

  private async load(cookieHash: string): Promise<ActiveSession | undefined> {
    const generation = this.generation;
    const row = await this.dataSource.getRepository(EdgeSession).findOne({
      where: { cookieHash, expiresAt: MoreThan(new Date()), idleExpiresAt: MoreThan(new Date()) },
      select: { id: true, subject: true, lastSeenAt: true, idleExpiresAt: true, expiresAt: true },
    });
    if (row === null) {
      return undefined;
    }
    const session: ActiveSession = { id: row.id, subject: row.subject };
    const now = Date.now();
    let extendedAt = row.lastSeenAt.getTime();
    let idleExpiresAt = row.idleExpiresAt.getTime();
    if (now - extendedAt >= EXTEND_EVERY_MS) {
      extendedAt = now;
      idleExpiresAt = Math.min(now + this.config.idleTtlMs, row.expiresAt.getTime());
      void this.extend(cookieHash);
    }
    if (generation === this.generation && this.bus.connected) {
      remember(this.sessions, cookieHash, { session, cookieHash, expiresAt: row.expiresAt.getTime(), idleExpiresAt, extendedAt });
    }
    return session;
  }

  private async extend(cookieHash: string): Promise<void> {
    try {
      await this.dataSource.query(
        `UPDATE edge_sessions SET last_seen_at = now(), idle_expires_at = least(now() + make_interval(secs => $2), expires_at)
          WHERE cookie_hash = $1 AND idle_expires_at > now()`,
        [cookieHash, this.config.idleTtlMs / 1000],
      );
    } catch (error) {
      this.logger.warn({ err: error }, 'could not extend a session');
    }
  }

  private async obtainOrganizationToken(session: ActiveSession, organizationId: string): Promise<string> {
    const generation = this.generation;
    const outcome = await this.dataSource.transaction(async (tx) => this.refreshLocked(tx, session, organizationId));
    if (outcome.kind === 'ended') {
      this.publish(outcome.cookieHash);
      throw new EdgeSessionError('SESSION_ENDED', 'The session has ended: sign in again.');
    }
    if (generation === this.generation && this.bus.connected && !this.refused(outcome.token)) {
      remember(this.tokens, tokenKey(session.id, organizationId), { token: outcome.token, renewAt: outcome.expiresAt.getTime() - TOKEN_MARGIN_MS, cookieHash: outcome.cookieHash, subject: session.subject });
    }
    return outcome.token;
  }

  private async refreshLocked(
    tx: EntityManager,
    session: ActiveSession,
    organizationId: string,
  ): Promise<{ kind: 'token'; token: string; expiresAt: Date; cookieHash: string } | { kind: 'ended'; cookieHash: string }> {
    const [row] = await queryEntities(
      tx,
      EdgeSession,
      'SELECT id, cookie_hash, refresh_token_sealed FROM edge_sessions WHERE id = $1 AND expires_at > now() AND idle_expires_at > now() FOR UPDATE',
      [session.id],
    );
    if (row === undefined) {
      throw new EdgeSessionError('SESSION_ENDED', 'The session has ended: sign in again.');
    }
    const { cookieHash } = row;
    const context = organizationTokenContext(cookieHash, organizationId);
    // Another replica (or an earlier request here) may have refreshed while this one waited on the lock.
    const stored = await tx.getRepository(EdgeSessionOrganizationToken).findOne({
      where: { sessionId: session.id, organizationId, expiresAt: MoreThan(new Date(Date.now() + TOKEN_MARGIN_MS)) },
    });
    const storedToken = stored === null ? undefined : this.openQuietly(stored.accessTokenSealed, context);
    if (stored !== null && storedToken !== undefined && !this.refused(storedToken)) {
      return { kind: 'token', token: storedToken, expiresAt: stored.expiresAt, cookieHash };
    }
    const refreshToken = this.openQuietly(row.refreshTokenSealed, cookieHash);
    if (refreshToken === undefined) {
      // Sealed with a key that is gone: nothing can renew this session.
      await tx.delete(EdgeSession, { id: session.id });
      return { kind: 'ended', cookieHash };
    }
    let grant;
    try {
      grant = await this.logto.organizationToken(refreshToken, organizationId);
    } catch (error) {
      if (error instanceof EdgeSessionError && error.code === 'SESSION_ENDED') {
        await tx.delete(EdgeSession, { id: session.id });
        return { kind: 'ended', cookieHash };
      }
      throw error;
    }
    if (grant.refreshToken !== undefined) {
      await tx.update(EdgeSession, { id: session.id }, { refreshTokenSealed: this.sealer.seal(grant.refreshToken, cookieHash) });
    }
    if (this.refused(grant.accessToken)) {
      // Issued within a revocation's clock skew: used for this request (and refused by the verifier), never kept.
      return { kind: 'token', token: grant.accessToken, expiresAt: grant.expiresAt, cookieHash };
    }
    await tx.upsert(
      EdgeSessionOrganizationToken,
      { sessionId: session.id, organizationId, accessTokenSealed: this.sealer.seal(grant.accessToken, context), expiresAt: grant.expiresAt },
      ['sessionId', 'organizationId'],
    );
    return { kind: 'token', token: grant.accessToken, expiresAt: grant.expiresAt, cookieHash };
  }

  private openQuietly(sealed: string, context: string): string | undefined {
    try {
      return this.sealer.open(sealed, context);
    } catch {
      this.logger.warn('a sealed session value did not open (tampered, or sealed with a key no longer in KEYS_DIR/session/)');
      return undefined;
    }
  }

  private publish(id: string): void {
    this.bus.publish({ topic: EDGE_SESSION_TOPIC, id });
  }

  private onChange(change: Change): void {
    if (change.topic !== EDGE_SESSION_TOPIC) {
      return;
    }
    this.generation++;
    const subject = change.id.startsWith(SUBJECT_PREFIX) ? change.id.slice(SUBJECT_PREFIX.length) : undefined;
    const ended = (entry: { cookieHash: string; subject: string }) => (subject === undefined ? entry.cookieHash === change.id : entry.subject === subject);
    for (const [key, entry] of this.sessions) {
      if (ended({ cookieHash: entry.cookieHash, subject: entry.session.subject })) {
        this.sessions.delete(key);
      }
    }
    for (const [key, entry] of this.tokens) {
      if (ended(entry)) {
        this.tokens.delete(key);
      }
    }
  }

  /** Drops cached sessions (unless told not to) and organization tokens matching, under a new generation. */
  private forgetWhere(matches: (entry: { subject: string }, tokenKey?: string) => boolean, what: { sessions: boolean } = { sessions: true }): void {
    this.generation++;
    if (what.sessions) {
      for (const [key, entry] of this.sessions) {
        if (matches({ subject: entry.session.subject })) {
          this.sessions.delete(key);
        }
      }
    }
    for (const [key, entry] of this.tokens) {
      if (matches(entry, key)) {
        this.tokens.delete(key);
      }
    }
  }

  private forgetAll(): void {
    this.generation++;
    this.sessions.clear();
    this.tokens.clear();
  }
}

/**
 * The claims of a token Logto just handed us (over its token endpoint), read without verifying: only to ask whether
 * a revocation already refuses it. Undefined when it does not parse; the verifier decides about it then.
 */
function unverifiedClaims(token: string): { sub: string; organizationId?: string; iat?: number } | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown; organization_id?: unknown; iat?: unknown };
    if (typeof payload.sub !== 'string') {
      return undefined;
    }
    return {
      sub: payload.sub,
      organizationId: typeof payload.organization_id === 'string' ? payload.organization_id : undefined,
      iat: typeof payload.iat === 'number' ? payload.iat : undefined,
    };
  } catch {
    return undefined;
  }
}

function tokenKey(sessionId: string, organizationId: string): string {
  return `${sessionId}\n${organizationId}`;
}

/** A stored organization token opens only for its session and organization. */
function organizationTokenContext(cookieHash: string, organizationId: string): string {
  return `${cookieHash}\norganization:${organizationId}`;
}

function remember<V>(cache: Map<string, V>, key: string, value: V): void {
  cache.delete(key);
  if (cache.size >= CACHE_MAX) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) {
      cache.delete(oldest.value);
    }
  }
  cache.set(key, value);
}

function boundedText(value: string | undefined): string | null {
  if (value === undefined) {
    return null;
  }
  // Printable text only, bounded: it is shown back to the user in the session list.
  const printable = value.replace(/[^\x20-\x7e]/g, '').slice(0, USER_AGENT_MAX);
  return printable.length === 0 ? null : printable;
}
