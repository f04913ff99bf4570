import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Page, PageQuery, ProblemException, toPage } from '@app/service-core';
import { MachineTokenService } from '@app/security';
import { TenantsService } from '@app/tenants';
import { AuditLog } from './audit-log';

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

export interface MintedBootstrapToken extends BootstrapTokenView {
  /** The token itself: returned here and never stored. */
  readonly token: string;
}

export interface BootstrapTokenRow {
  id: string;
  tenant_id: string;
  label: string | null;
  max_uses: number;
  uses: number;
  expires_at: Date;
  revoked_at: Date | null;
  revoked_by: string | null;
  created_by: string;
  created_at: Date;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function bootstrapTokenView(row: BootstrapTokenRow, now = new Date()): BootstrapTokenView {
  const expiresAt = new Date(row.expires_at);
  const status: BootstrapTokenStatus =
    row.revoked_at !== null ? 'REVOKED' : expiresAt.getTime() <= now.getTime() ? 'EXPIRED' : row.uses >= row.max_uses ? 'USED_UP' : 'ACTIVE';
  return {
    id: row.id,
    tenantId: row.tenant_id,
    label: row.label,
    maxUses: row.max_uses,
    uses: row.uses,
    expiresAt,
    status,
    revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at),
    revokedBy: row.revoked_by,
    createdBy: row.created_by,
    createdAt: new Date(row.created_at),
  };
}

function notFound(): ProblemException {
  return new ProblemException(404, 'NOT_FOUND', 'No such bootstrap token.');
}

export interface MintInput {
  readonly label?: string;
  readonly ttlSeconds?: number;
  readonly maxUses?: number;
  readonly createdBy: string;
  readonly sourceIp?: string;
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
    private readonly audit: AuditLog,
  ) {}

  async mint(tenantId: string, input: MintInput): Promise<MintedBootstrapToken> {
    await this.tenants.getActive(tenantId);
    const ttlSeconds = input.ttlSeconds ?? BOOTSTRAP_TTL_DEFAULT_S;
    const maxUses = input.maxUses ?? 1;
    const id = randomUUID();
    // Signed first so the row's expiry is exactly the token's exp; if the insert fails the token is simply dropped.
    const signed = await this.machine.sign('agent-bootstrap', { sub: id, tenantId, ttlSeconds, jti: randomUUID() });
    const row = await this.dataSource.transaction(async (manager) => {
      const [inserted] = await manager.query<BootstrapTokenRow[]>(
        `INSERT INTO agent_bootstrap_tokens (id, tenant_id, label, max_uses, uses, expires_at, created_by, created_at)
         VALUES ($1, $2, $3, $4, 0, $5, $6, LEAST(now(), $5::timestamptz - interval '1 second')) RETURNING *`,
        [id, tenantId, input.label ?? null, maxUses, signed.expiresAt, input.createdBy],
      );
      await this.audit.record(
        { tenantId, actor: input.createdBy, action: 'bootstrap_token.minted', targetId: id, sourceIp: input.sourceIp, reason: null },
        manager,
      );
      return inserted as BootstrapTokenRow;
    });
    this.logger.log(`bootstrap token ${id} minted for tenant ${tenantId} by ${input.createdBy} (${maxUses} use(s), until ${signed.expiresAt.toISOString()})`);
    return { ...bootstrapTokenView(row), token: signed.token };
  }

  /**
   * A fresh token for an existing, still usable row: what an Idempotency-Key replay of a mint returns, since the
   * stored response never holds the token. Same row (same uses, expiry, revocation), new signature.
   */
  async reissue(tenantId: string, id: string): Promise<string | undefined> {
    const row = await this.find(tenantId, id);
    if (row === undefined || row.revoked_at !== null) {
      return undefined;
    }
    const ttlSeconds = Math.floor((new Date(row.expires_at).getTime() - Date.now()) / 1000);
    if (ttlSeconds < 1) {
      return undefined;
    }
    return (await this.machine.sign('agent-bootstrap', { sub: id, tenantId, ttlSeconds, jti: randomUUID() })).token;
  }

  async list(tenantId: string, query: PageQuery): Promise<Page<BootstrapTokenView>> {
    await this.tenants.get(tenantId);
    const [rows, counted] = await Promise.all([
      this.dataSource.query<BootstrapTokenRow[]>(
        `SELECT * FROM agent_bootstrap_tokens WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
        [tenantId, query.pageSize, query.offset],
      ),
      this.dataSource.query<{ total: number }[]>(`SELECT count(*)::int AS total FROM agent_bootstrap_tokens WHERE tenant_id = $1`, [tenantId]),
    ]);
    const now = new Date();
    return toPage(
      rows.map((row) => bootstrapTokenView(row, now)),
      counted[0]?.total ?? 0,
      query,
    );
  }

  /** Revokes a token (204); revoking a revoked one changes nothing. Another tenant's token is 404. */
  async revoke(tenantId: string, id: string, revokedBy: string, sourceIp?: string): Promise<void> {
    await this.tenants.get(tenantId);
    if (!UUID.test(id)) {
      throw notFound();
    }
    await this.dataSource.transaction(async (manager) => {
      const [rows] = await manager.query<[BootstrapTokenRow[], number]>(
        `UPDATE agent_bootstrap_tokens SET revoked_at = clock_timestamp(), revoked_by = $3
          WHERE id = $1 AND tenant_id = $2 AND revoked_at IS NULL RETURNING *`,
        [id, tenantId, revokedBy],
      );
      if (rows.length === 0) {
        const existing = await manager.query<{ id: string }[]>(`SELECT id FROM agent_bootstrap_tokens WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
        if (existing.length === 0) {
          throw notFound();
        }
        return;
      }
      await this.audit.record({ tenantId, actor: revokedBy, action: 'bootstrap_token.revoked', targetId: id, sourceIp }, manager);
    });
  }

  async find(tenantId: string, id: string): Promise<BootstrapTokenRow | undefined> {
    if (!UUID.test(id)) {
      return undefined;
    }
    const rows = await this.dataSource.query<BootstrapTokenRow[]>(`SELECT * FROM agent_bootstrap_tokens WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
    return rows[0];
  }
}
