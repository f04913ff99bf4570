import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { findPage, Page, PageQuery } from '@app/service-core';
import { AuditEvent } from './audit-event.entity';

/** What one audit record says. Names and ids only: never a token, an assertion or a key. */
export interface AuditEntry {
  readonly tenantId: string | null;
  /** Who: `user:<sub>` / `app:<sub>` for Logto callers, `agent:<id>`, `bootstrap_token:<id>`. */
  readonly actor: string;
  /** What, as `<object>.<verb>` (e.g. `agent.registered`); the lib that records it owns its actions. */
  readonly action: string;
  /** The row acted on. */
  readonly targetId?: string | null;
  readonly sourceIp?: string | null;
  /** Why it failed, as a short code. */
  readonly reason?: string | null;
}

/** The platform's audit trail (`audit_events`): every lib records here, so one tenant's trail is one list. */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger('Audit');

  constructor(private readonly dataSource: DataSource) {}

  /** Writes one record, inside `tx` when given, so it commits or rolls back with the change it describes. */
  async record(entry: AuditEntry, tx: EntityManager = this.dataSource.manager): Promise<void> {
    await tx.insert(AuditEvent, {
      tenantId: entry.tenantId,
      actor: entry.actor.slice(0, 255),
      action: entry.action,
      targetId: entry.targetId ?? null,
      sourceIp: entry.sourceIp ?? null,
      reason: entry.reason ?? null,
    });
    this.logger.log({ ...entry }, `${entry.action}${entry.reason ? ` (${entry.reason})` : ''}`);
  }

  /** Like record, for failure paths: an audit write that fails is logged, never turned into another error. */
  async recordQuietly(entry: AuditEntry): Promise<void> {
    try {
      await this.record(entry);
    } catch (error) {
      this.logger.error({ err: error, action: entry.action }, 'could not write an audit record');
    }
  }

  /** A tenant's trail, newest first. */
  async list(tenantId: string, query: PageQuery): Promise<Page<AuditEvent>> {
    return findPage(this.dataSource.getRepository(AuditEvent), query, { where: { tenantId }, order: { createdAt: 'DESC', id: 'DESC' } });
  }
}
