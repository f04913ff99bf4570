import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Page, PageQuery, toPage } from '@app/service-core';

export const AUDIT_ACTIONS = [
  'bootstrap_token.minted',
  'bootstrap_token.used',
  'bootstrap_token.use_failed',
  'bootstrap_token.revoked',
  'agent.registered',
  'agent.registration_refused',
  'agent.token_refreshed',
  'agent.token_refused',
  'agent.assertion_replayed',
  'agent.disabled',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export interface AuditRecord {
  readonly tenantId: string | null;
  /** Who: `user:<sub>` / `app:<sub>` for Logto callers, `agent:<id>`, `bootstrap_token:<id>`. */
  readonly actor: string;
  readonly action: AuditAction;
  /** The token row or agent acted on. */
  readonly targetId?: string | null;
  readonly sourceIp?: string | null;
  readonly reason?: string | null;
}

export interface AuditEventView {
  readonly id: string;
  readonly tenantId: string | null;
  readonly actor: string;
  readonly action: string;
  readonly targetId: string | null;
  readonly sourceIp: string | null;
  readonly reason: string | null;
  readonly createdAt: Date;
}

interface AuditRow {
  id: string;
  tenant_id: string | null;
  actor: string;
  action: string;
  target_id: string | null;
  source_ip: string | null;
  reason: string | null;
  created_at: Date;
}

/** The audit trail of agent credentials. Records names and ids only: never a token, an assertion or a key. */
@Injectable()
export class AuditLog {
  private readonly logger = new Logger('Audit');

  constructor(private readonly dataSource: DataSource) {}

  /** Writes one record, inside `manager`'s transaction when given (so it commits or rolls back with the change). */
  async record(event: AuditRecord, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(
      `INSERT INTO audit_events (tenant_id, actor, action, target_id, source_ip, reason) VALUES ($1, $2, $3, $4, $5::inet, $6)`,
      [event.tenantId, event.actor.slice(0, 255), event.action, event.targetId ?? null, event.sourceIp ?? null, event.reason ?? null],
    );
    this.logger.log({ ...event }, `${event.action}${event.reason ? ` (${event.reason})` : ''}`);
  }

  /** Like record, for failure paths: an audit write that fails is logged, never turned into another error. */
  async recordQuietly(event: AuditRecord): Promise<void> {
    try {
      await this.record(event);
    } catch (error) {
      this.logger.error({ err: error, action: event.action }, 'could not write an audit record');
    }
  }

  async list(tenantId: string, query: PageQuery): Promise<Page<AuditEventView>> {
    const [rows, counted] = await Promise.all([
      this.dataSource.query<AuditRow[]>(
        `SELECT id::text AS id, tenant_id, actor, action, target_id, host(source_ip) AS source_ip, reason, created_at
           FROM audit_events WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
        [tenantId, query.pageSize, query.offset],
      ),
      this.dataSource.query<{ total: number }[]>(`SELECT count(*)::int AS total FROM audit_events WHERE tenant_id = $1`, [tenantId]),
    ]);
    return toPage(
      rows.map((row) => ({
        id: row.id,
        tenantId: row.tenant_id,
        actor: row.actor,
        action: row.action,
        targetId: row.target_id,
        sourceIp: row.source_ip,
        reason: row.reason,
        createdAt: new Date(row.created_at),
      })),
      counted[0]?.total ?? 0,
      query,
    );
  }
}
