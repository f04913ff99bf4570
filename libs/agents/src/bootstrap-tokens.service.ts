import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { findPage, isUuid, Page, PageQuery } from '@app/service-core';
import { AuditTrail, MachineTokenService } from '@app/security';
import { TenantsService } from '@app/tenants';
import { AgentBootstrapToken } from './agent.entities';
import { AgentsError } from './agents.errors';

export const BOOTSTRAP_TTL_MIN_S = 10;
export const BOOTSTRAP_TTL_MAX_S = 24 * 60 * 60;
export const BOOTSTRAP_TTL_DEFAULT_S = 60 * 60;
export const BOOTSTRAP_USES_MAX = 100;

export type BootstrapTokenStatus = 'ACTIVE' | 'EXPIRED' | 'REVOKED' | 'USED_UP';

export interface BootstrapTokenView {
  readonly id: string;
  readonly tenantId: string;
  readonly label: string | null;
  readonly maxUses: number;
  readonly uses: number;
  readonly expiresAt: Date;
  readonly status: BootstrapTokenStatus;
  readonly revokedAt: Date | null;
  readonly revokedBy: string | null;
  readonly createdBy: string;
  readonly createdAt: Date;
}

export interface MintedBootstrapToken {
  readonly view: BootstrapTokenView;
  /** The token itself: returned here and never stored. */
  readonly token: string;
}

export interface MintInput {
  readonly label?: string;
  readonly ttlSeconds?: number;
  readonly maxUses?: number;
  readonly createdBy: string;
  readonly sourceIp?: string;
}

function bootstrapTokenView(row: AgentBootstrapToken, now = new Date()): BootstrapTokenView {
  const status: BootstrapTokenStatus =
    row.revokedAt !== null ? 'REVOKED' : row.expiresAt.getTime() <= now.getTime() ? 'EXPIRED' : row.uses >= row.maxUses ? 'USED_UP' : 'ACTIVE';
  const { id, tenantId, label, maxUses, uses, expiresAt, revokedAt, revokedBy, createdBy, createdAt } = row;
  return { id, tenantId, label, maxUses, uses, expiresAt, status, revokedAt, revokedBy, createdBy, createdAt };
}

function notFound(): AgentsError {
  return new AgentsError('NOT_FOUND', 'No such bootstrap token.');
}

/**
 * Bootstrap tokens: a row per token (limits, uses, expiry, revocation) and a machine token whose `sub` is the
 * row id. Expiry and revocation are decided by the row, with no clock leeway.
 */
@Injectable()
export class BootstrapTokensService {
  private readonly logger = new Logger('BootstrapTokens');

  constructor(
    private readonly dataSource: DataSource,
    private readonly machine: MachineTokenService,
    private readonly tenants: TenantsService,
    private readonly audit: AuditTrail,
  ) {}

  async mint(tenantId: string, input: MintInput): Promise<MintedBootstrapToken> {
    await this.tenants.getActive(tenantId);
    const ttlSeconds = input.ttlSeconds ?? BOOTSTRAP_TTL_DEFAULT_S;
    const maxUses = input.maxUses ?? 1;
    const id = randomUUID();
    // Signed first so the row's expiry is exactly the token's exp; if the insert fails the token is simply dropped.
    const signed = await this.machine.sign('agent-bootstrap', { sub: id, tenantId, ttlSeconds, jti: randomUUID() });
    const row = await this.dataSource.transaction(async (manager) => {
      await manager
        .createQueryBuilder()
        .insert()
        .into(AgentBootstrapToken)
        .values({
          id,
          tenantId,
          label: input.label ?? null,
          maxUses,
          expiresAt: signed.expiresAt,
          createdBy: input.createdBy,
          // Before the expiry whatever the database clock says (the table checks expires_at > created_at).
          createdAt: () => `LEAST(now(), CAST(:expiresAt AS timestamptz) - interval '1 second')`,
        })
        .setParameter('expiresAt', signed.expiresAt)
        .execute();
      await this.audit.record({ tenantId, actor: input.createdBy, action: 'bootstrap_token.minted', targetId: id, sourceIp: input.sourceIp }, manager);
      return manager.findOneByOrFail(AgentBootstrapToken, { id });
    });
    this.logger.log(`bootstrap token ${id} minted for tenant ${tenantId} by ${input.createdBy} (${maxUses} use(s), until ${signed.expiresAt.toISOString()})`);
    return { view: bootstrapTokenView(row), token: signed.token };
  }

  /**
   * A fresh token for an existing, still usable row: what an Idempotency-Key replay of a mint returns, since the
   * stored response never holds the token. Same row (same uses, expiry, revocation), new signature.
   */
  async reissue(tenantId: string, id: string): Promise<string> {
    const row = isUuid(id) ? await this.dataSource.manager.findOneBy(AgentBootstrapToken, { id, tenantId }) : null;
    const ttlSeconds = row === null ? 0 : Math.floor((row.expiresAt.getTime() - Date.now()) / 1000);
    if (row === null || row.revokedAt !== null || ttlSeconds < 1) {
      throw new AgentsError('BOOTSTRAP_TOKEN_UNAVAILABLE', 'The bootstrap token minted under this Idempotency-Key has expired or was revoked.');
    }
    return (await this.machine.sign('agent-bootstrap', { sub: id, tenantId, ttlSeconds, jti: randomUUID() })).token;
  }

  async list(tenantId: string, query: PageQuery): Promise<Page<BootstrapTokenView>> {
    await this.tenants.get(tenantId);
    const page = await findPage(this.dataSource.getRepository(AgentBootstrapToken), query, { where: { tenantId }, order: { createdAt: 'DESC', id: 'DESC' } });
    const now = new Date();
    return { ...page, items: page.items.map((row) => bootstrapTokenView(row, now)) };
  }

  /** Revokes a token (204); revoking a revoked one changes nothing. Another tenant's token is 404. */
  async revoke(tenantId: string, id: string, revokedBy: string, sourceIp?: string): Promise<void> {
    await this.tenants.get(tenantId);
    if (!isUuid(id)) {
      throw notFound();
    }
    await this.dataSource.transaction(async (manager) => {
      const revoked = await manager.update(AgentBootstrapToken, { id, tenantId, revokedAt: IsNull() }, { revokedAt: () => 'clock_timestamp()', revokedBy });
      if (revoked.affected === 0) {
        if (!(await manager.existsBy(AgentBootstrapToken, { id, tenantId }))) {
          throw notFound();
        }
        return;
      }
      await this.audit.record({ tenantId, actor: revokedBy, action: 'bootstrap_token.revoked', targetId: id, sourceIp }, manager);
    });
  }
}
