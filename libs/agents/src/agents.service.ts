import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { decodeJwt, decodeProtectedHeader, JWTPayload, jwtVerify } from 'jose';
import { DataSource, EntityManager } from 'typeorm';
import { ChangeBus, isDatabaseUnavailable, Page, PageQuery, ProblemException, toPage } from '@app/service-core';
import { MachinePrincipal, MachineTokenService, securityErrorFor } from '@app/security';
import { licenseFromRow, LicenseRow, LicensingService } from '@app/licensing';
import { TenantsService } from '@app/tenants';
import type { Ed25519PublicJwk } from './agent.entities';
import { parseAgentPublicKey, publicKeyOf } from './agent-public-key';
import { AuditLog } from './audit-log';
import { AgentAuthFailureCounter } from './auth-failure-counter';

/** Lifetime of an agent access token (agent+jwt), the kind's maximum. */
export const AGENT_TOKEN_TTL_S = 900;
/** An assertion may not claim to live longer than this. */
export const ASSERTION_MAX_LIFETIME_S = 300;
/** Clock skew tolerated on an assertion's iat and exp (agents run on hosts we do not control). */
export const ASSERTION_CLOCK_TOLERANCE_S = 5;
const MAX_ASSERTION_LENGTH = 4096;
const MAX_JTI_LENGTH = 128;
const JTI_PURGE_INTERVAL_MS = 60_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AgentView {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly environment: string | null;
  readonly publicKey: Ed25519PublicJwk;
  readonly enabled: boolean;
  readonly disabledAt: Date | null;
  readonly disabledBy: string | null;
  readonly createdAt: Date;
  readonly lastSeenAt: Date | null;
}

export interface RegisteredAgent {
  readonly agentId: string;
  readonly tenantId: string;
  readonly accessToken: string;
  readonly expiresIn: number;
  /** The tenant's license token (license+jwt). */
  readonly license: string;
}

export interface AgentAccessToken {
  readonly accessToken: string;
  readonly expiresIn: number;
}

export interface AgentSelf {
  readonly agent: AgentView;
  readonly tenant: { readonly id: string; readonly slug: string; readonly name: string; readonly status: string };
  /** A freshly signed license token, or null when the tenant has no current license. */
  readonly license: string | null;
}

export interface RegisterInput {
  readonly name: string;
  readonly environment?: string;
  readonly publicKey: unknown;
}

interface AgentRow {
  id: string;
  tenant_id: string;
  name: string;
  environment: string | null;
  public_key_jwk: Ed25519PublicJwk;
  enabled: boolean;
  disabled_at: Date | null;
  disabled_by: string | null;
  created_at: Date;
  last_seen_at: Date | null;
}

interface TenantRef {
  id: string;
  slug: string;
  name: string;
  status: string;
}

export function agentView(row: AgentRow): AgentView {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    environment: row.environment,
    publicKey: { kty: 'OKP', crv: 'Ed25519', x: row.public_key_jwk.x },
    enabled: row.enabled,
    disabledAt: row.disabled_at === null ? null : new Date(row.disabled_at),
    disabledBy: row.disabled_by,
    createdAt: new Date(row.created_at),
    lastSeenAt: row.last_seen_at === null ? null : new Date(row.last_seen_at),
  };
}

/** The bootstrap token's row could not be consumed; `reason` is found afterwards, outside the rolled-back transaction. */
class TokenUseFailed extends Error {}

/** Registration refused for a reason of the tenant (license, status): the use is rolled back, the refusal audited. */
class RegistrationRefused extends Error {
  constructor(
    readonly reason: string,
    readonly problem: ProblemException,
  ) {
    super(reason);
  }
}

/** An assertion that could not be verified: counted, never audited (its content is the caller's). */
class AssertionUnverified extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

function invalidToken(): Error {
  return securityErrorFor({ allow: false, reason: 'invalid_token' });
}

function invalidAssertion(): ProblemException {
  return new ProblemException(401, 'INVALID_ASSERTION', 'The assertion is not valid.');
}

function agentNotFound(): ProblemException {
  return new ProblemException(404, 'NOT_FOUND', 'No such agent.');
}

/** Maps a jose verification error to a coarse reason code (the code only, never library text). */
function joseReason(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
  switch (code) {
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'bad_signature';
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (error as { claim?: unknown }).claim;
      return typeof claim === 'string' && /^[a-z_]{1,16}$/.test(claim) ? `bad_claim_${claim}` : 'bad_claim';
    }
    default:
      return 'malformed';
  }
}

/**
 * Agents: registration with a bootstrap token (one use consumed atomically, license and seat checks under the
 * tenant lock), access tokens for proofs of possession of the agent's own key, and disabling.
 */
@Injectable()
export class AgentsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Agents');
  private purgeTimer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly machine: MachineTokenService,
    private readonly licensing: LicensingService,
    private readonly tenants: TenantsService,
    private readonly audit: AuditLog,
    private readonly failures: AgentAuthFailureCounter,
    private readonly changes: ChangeBus,
  ) {}

  onModuleInit(): void {
    this.purgeTimer = setInterval(() => void this.purgeUsedJtis(), JTI_PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.purgeTimer);
  }

  /** Deletes used assertion jtis whose assertions have expired: a replay of those fails on exp anyway. */
  async purgeUsedJtis(): Promise<number> {
    try {
      const [, count] = await this.dataSource.query<[unknown[], number]>(`DELETE FROM agent_assertion_jtis WHERE expires_at < now()`);
      return count;
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        this.logger.warn({ err: error }, 'could not purge used assertion jtis');
      }
      return 0;
    }
  }

  get assertionAudience(): string {
    return `${this.machine.issuer}/api/agents/token`;
  }

  async register(principal: MachinePrincipal, input: RegisterInput, sourceIp: string | undefined): Promise<RegisteredAgent> {
    // A bad key is the caller's mistake: refused before the token's use is spent.
    const publicKeyJwk = parseAgentPublicKey(input.publicKey);
    const tokenId = principal.subject;
    const actor = `bootstrap_token:${tokenId}`;
    if (!UUID.test(tokenId) || !UUID.test(principal.tenantId)) {
      this.failures.record('bootstrap_token', 'unknown_token', sourceIp);
      throw invalidToken();
    }
    let registered: { agent: AgentRow; license: LicenseRow; tenant: TenantRef };
    try {
      registered = await this.dataSource.transaction(async (manager) => {
        const [consumed] = await manager.query<[{ id: string }[], number]>(
          `UPDATE agent_bootstrap_tokens SET uses = uses + 1
            WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL AND expires_at > now() AND uses < max_uses
            RETURNING id`,
          [tokenId, principal.tenantId],
        );
        if (consumed.length === 0) {
          throw new TokenUseFailed();
        }
        // One registration at a time per tenant, so two cannot both take the last seat.
        const [tenant] = await manager.query<TenantRef[]>(`SELECT id, slug, name, status FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, [principal.tenantId]);
        if (tenant === undefined || tenant.status !== 'ACTIVE') {
          throw new RegistrationRefused(
            'tenant_not_active',
            new ProblemException(403, 'TENANT_NOT_ACTIVE', 'The tenant is not active; agents cannot register.'),
          );
        }
        const [license] = await manager.query<LicenseRow[]>(
          `SELECT * FROM licenses WHERE tenant_id = $1 AND state = 'CURRENT' AND ends_at > now()`,
          [principal.tenantId],
        );
        if (license === undefined) {
          throw new RegistrationRefused('license_required', new ProblemException(403, 'LICENSE_REQUIRED', 'The tenant has no current, unexpired license.'));
        }
        const maxAgents = Number(license.limits.maxAgents ?? 0);
        const [counted] = await manager.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM agents WHERE tenant_id = $1 AND enabled`, [principal.tenantId]);
        if ((counted?.n ?? 0) >= maxAgents) {
          throw new RegistrationRefused(
            'license_limit_reached',
            new ProblemException(403, 'LICENSE_LIMIT_REACHED', `The tenant's license allows ${maxAgents} enabled agent(s).`),
          );
        }
        const [agent] = await manager.query<AgentRow[]>(
          `INSERT INTO agents (tenant_id, name, environment, public_key_jwk) VALUES ($1, $2, $3, $4::jsonb) RETURNING *`,
          [principal.tenantId, input.name, input.environment ?? null, JSON.stringify(publicKeyJwk)],
        );
        if (agent === undefined) {
          throw new Error('agent insert returned nothing');
        }
        await this.audit.record({ tenantId: tenant.id, actor, action: 'bootstrap_token.used', targetId: tokenId, sourceIp }, manager);
        await this.audit.record({ tenantId: tenant.id, actor, action: 'agent.registered', targetId: agent.id, sourceIp }, manager);
        return { agent, license, tenant };
      });
    } catch (error) {
      if (error instanceof TokenUseFailed) {
        await this.auditFailedUse(principal, sourceIp);
        throw invalidToken();
      }
      if (error instanceof RegistrationRefused) {
        await this.audit.recordQuietly({ tenantId: principal.tenantId, actor, action: 'agent.registration_refused', targetId: tokenId, sourceIp, reason: error.reason });
        throw error.problem;
      }
      throw error;
    }
    const { agent, license, tenant } = registered;
    this.logger.log(`agent ${agent.id} (${agent.name}) registered in tenant ${tenant.slug} with bootstrap token ${tokenId}`);
    const access = await this.machine.sign('agent', { sub: agent.id, tenantId: tenant.id, ttlSeconds: AGENT_TOKEN_TTL_S });
    return {
      agentId: agent.id,
      tenantId: tenant.id,
      accessToken: access.token,
      expiresIn: AGENT_TOKEN_TTL_S,
      license: await this.licensing.sign(licenseFromRow(license), tenant.slug),
    };
  }

  /** Why a correctly signed bootstrap token could not be used, audited on the token's own tenant. */
  private async auditFailedUse(principal: MachinePrincipal, sourceIp: string | undefined): Promise<void> {
    const rows = await this.dataSource
      .query<{ tenant_id: string; revoked: boolean; expired: boolean; used_up: boolean }[]>(
        `SELECT tenant_id, revoked_at IS NOT NULL AS revoked, expires_at <= now() AS expired, uses >= max_uses AS used_up
           FROM agent_bootstrap_tokens WHERE id = $1`,
        [principal.subject],
      )
      .catch(() => []);
    const row = rows[0];
    const reason =
      row === undefined
        ? 'unknown_token'
        : row.tenant_id !== principal.tenantId
          ? 'wrong_tenant'
          : row.revoked
            ? 'revoked'
            : row.expired
              ? 'expired'
              : row.used_up
                ? 'used_up'
                : 'unavailable';
    if (row === undefined) {
      // No row of ours: nothing to attach it to, so it is counted like a forgery.
      this.failures.record('bootstrap_token', reason, sourceIp);
      return;
    }
    await this.audit.recordQuietly({
      tenantId: row.tenant_id,
      actor: `bootstrap_token:${principal.subject}`,
      action: 'bootstrap_token.use_failed',
      targetId: principal.subject,
      sourceIp,
      reason,
    });
  }

  /** Access token for a proof of possession: a JWT the agent signed with its own key (private_key_jwt style). */
  async exchange(assertion: unknown, sourceIp: string | undefined): Promise<AgentAccessToken> {
    let agent: AgentRow & { tenant_status: string };
    let payload: JWTPayload;
    try {
      ({ agent, payload } = await this.verifyAssertion(assertion));
    } catch (error) {
      if (error instanceof AssertionUnverified) {
        this.failures.record('assertion', error.reason, sourceIp);
        throw invalidAssertion();
      }
      throw error;
    }
    const actor = `agent:${agent.id}`;
    if (!agent.enabled || agent.tenant_status !== 'ACTIVE') {
      const reason = agent.enabled ? 'tenant_not_active' : 'agent_disabled';
      await this.audit.recordQuietly({ tenantId: agent.tenant_id, actor, action: 'agent.token_refused', targetId: agent.id, sourceIp, reason });
      throw invalidAssertion();
    }
    const jti = payload.jti as string;
    const expiresAt = new Date(((payload.exp as number) + ASSERTION_CLOCK_TOLERANCE_S) * 1000);
    const fresh = await this.dataSource.transaction(async (manager: EntityManager) => {
      // Every replica inserts into the same table: exactly one use of a jti ever succeeds.
      const inserted = await manager.query<{ jti: string }[]>(
        `INSERT INTO agent_assertion_jtis (agent_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT (agent_id, jti) DO NOTHING RETURNING jti`,
        [agent.id, jti, expiresAt],
      );
      if (inserted.length === 0) {
        return false;
      }
      await manager.query(`UPDATE agents SET last_seen_at = clock_timestamp() WHERE id = $1`, [agent.id]);
      await this.audit.record({ tenantId: agent.tenant_id, actor, action: 'agent.token_refreshed', targetId: agent.id, sourceIp }, manager);
      return true;
    });
    if (!fresh) {
      await this.audit.recordQuietly({ tenantId: agent.tenant_id, actor, action: 'agent.assertion_replayed', targetId: agent.id, sourceIp, reason: 'replayed_jti' });
      throw invalidAssertion();
    }
    const access = await this.machine.sign('agent', { sub: agent.id, tenantId: agent.tenant_id, ttlSeconds: AGENT_TOKEN_TTL_S });
    return { accessToken: access.token, expiresIn: AGENT_TOKEN_TTL_S };
  }

  private async verifyAssertion(assertion: unknown): Promise<{ agent: AgentRow & { tenant_status: string }; payload: JWTPayload }> {
    if (typeof assertion !== 'string' || assertion.length === 0 || assertion.length > MAX_ASSERTION_LENGTH || assertion.split('.').length !== 3) {
      throw new AssertionUnverified('malformed');
    }
    let agentId: unknown;
    try {
      const header = decodeProtectedHeader(assertion);
      // Our own tokens (agent+jwt, agent-bootstrap+jwt, license+jwt) are never assertions.
      if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT')) {
        throw new AssertionUnverified('wrong_type');
      }
      if (header.alg !== 'EdDSA' || header.crit !== undefined) {
        throw new AssertionUnverified('bad_signature');
      }
      const unverified = decodeJwt(assertion);
      agentId = unverified.iss;
      if (unverified.sub !== agentId) {
        throw new AssertionUnverified('bad_claim_sub');
      }
    } catch (error) {
      throw error instanceof AssertionUnverified ? error : new AssertionUnverified('malformed');
    }
    if (typeof agentId !== 'string' || !UUID.test(agentId)) {
      throw new AssertionUnverified('unknown_agent');
    }
    const [agent] = await this.dataSource.query<(AgentRow & { tenant_status: string })[]>(
      `SELECT a.*, t.status AS tenant_status FROM agents a JOIN tenants t ON t.id = a.tenant_id WHERE a.id = $1`,
      [agentId],
    );
    if (agent === undefined) {
      throw new AssertionUnverified('unknown_agent');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, publicKeyOf(agent.public_key_jwk), {
        algorithms: ['EdDSA'],
        issuer: agentId,
        subject: agentId,
        audience: this.assertionAudience,
        requiredClaims: ['iss', 'sub', 'aud', 'jti', 'iat', 'exp'],
        clockTolerance: ASSERTION_CLOCK_TOLERANCE_S,
      }));
    } catch (error) {
      throw new AssertionUnverified(joseReason(error));
    }
    const now = Math.floor(Date.now() / 1000);
    const { jti, iat, exp, aud } = payload;
    if (aud !== this.assertionAudience) {
      throw new AssertionUnverified('bad_claim_aud');
    }
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
      throw new AssertionUnverified('bad_claim_jti');
    }
    if (typeof iat !== 'number' || iat > now + ASSERTION_CLOCK_TOLERANCE_S) {
      throw new AssertionUnverified('bad_claim_iat');
    }
    if (typeof exp !== 'number' || exp > now + ASSERTION_MAX_LIFETIME_S + ASSERTION_CLOCK_TOLERANCE_S) {
      throw new AssertionUnverified('bad_claim_exp');
    }
    return { agent, payload };
  }

  /** The calling agent, its tenant and a fresh license token; a disabled (or vanished) agent gets 401. */
  async me(principal: MachinePrincipal): Promise<AgentSelf> {
    const agent = await this.activeAgent(principal.subject, principal.tenantId);
    if (agent === undefined) {
      throw invalidToken();
    }
    const tenant = await this.tenants.get(agent.tenant_id);
    const [license] = await this.dataSource.query<LicenseRow[]>(`SELECT * FROM licenses WHERE tenant_id = $1 AND state = 'CURRENT'`, [agent.tenant_id]);
    return {
      agent: agentView(agent),
      tenant: { id: tenant.id, slug: tenant.slug, name: tenant.name, status: tenant.status },
      license: license === undefined ? null : await this.licensing.sign(licenseFromRow(license), tenant.slug),
    };
  }

  /** The agent if it exists in that tenant and is enabled. */
  async activeAgent(agentId: string, tenantId: string): Promise<AgentRow | undefined> {
    if (!UUID.test(agentId) || !UUID.test(tenantId)) {
      return undefined;
    }
    const [agent] = await this.dataSource.query<AgentRow[]>(`SELECT * FROM agents WHERE id = $1 AND tenant_id = $2 AND enabled`, [agentId, tenantId]);
    return agent;
  }

  /** 404 unless the tenant exists (deleted ones are shown to operators, as everywhere). */
  async tenantExists(tenantId: string): Promise<void> {
    await this.tenants.get(tenantId);
  }

  async list(tenantId: string, query: PageQuery): Promise<Page<AgentView>> {
    await this.tenants.get(tenantId);
    const [rows, counted] = await Promise.all([
      this.dataSource.query<AgentRow[]>(`SELECT * FROM agents WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`, [
        tenantId,
        query.pageSize,
        query.offset,
      ]),
      this.dataSource.query<{ total: number }[]>(`SELECT count(*)::int AS total FROM agents WHERE tenant_id = $1`, [tenantId]),
    ]);
    return toPage(rows.map(agentView), counted[0]?.total ?? 0, query);
  }

  /** Disables an agent: no new tokens, and forward-auth refuses its tokens once the change is heard (at once here, NOTIFY elsewhere). */
  async disable(tenantId: string, agentId: string, disabledBy: string, sourceIp: string | undefined): Promise<AgentView> {
    await this.tenants.get(tenantId);
    if (!UUID.test(agentId)) {
      throw agentNotFound();
    }
    const agent = await this.dataSource.transaction(async (manager) => {
      const [updated] = await manager.query<[AgentRow[], number]>(
        `UPDATE agents SET enabled = false, disabled_at = clock_timestamp(), disabled_by = $3 WHERE id = $1 AND tenant_id = $2 AND enabled RETURNING *`,
        [agentId, tenantId, disabledBy],
      );
      const row = updated[0];
      if (row === undefined) {
        const [existing] = await manager.query<AgentRow[]>(`SELECT * FROM agents WHERE id = $1 AND tenant_id = $2`, [agentId, tenantId]);
        if (existing === undefined) {
          throw agentNotFound();
        }
        return { row: existing, changed: false };
      }
      await this.audit.record({ tenantId, actor: disabledBy, action: 'agent.disabled', targetId: agentId, sourceIp }, manager);
      return { row, changed: true };
    });
    if (agent.changed) {
      this.logger.warn(`agent ${agentId} of tenant ${tenantId} disabled by ${disabledBy}`);
    }
    // Published even when it was already disabled: a replica that missed the first notification hears it now.
    this.changes.publish({ topic: 'agent', id: agentId });
    return agentView(agent.row);
  }
}
