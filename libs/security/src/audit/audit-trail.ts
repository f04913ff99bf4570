import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager, FindOptionsWhere } from 'typeorm';
import { findPage, Page, PageQuery } from '@app/service-core';
import { isOperator } from '../access/evaluate-access';
import { Principal } from '../access/principal';
import { AuditEvent } from './audit-event.entity';

const OPERATOR_PREFIX = 'operator:';

/** How an operator's action is shown to a tenant's own callers: the platform acted, not a named person. */
const PLATFORM_ACTOR = 'platform';

/**
 * Who acted, as recorded in the audit trail and the `*_by` columns: `operator:<kind>:<sub>` for operators (so
 * that their actions can be shown to customers as the platform's), `<kind>:<sub>` for other Logto callers
 * (`user:` / `app:`), `agent:<sub>` for machine callers.
 */
export function actorOf(principal: Principal): string {
  if (principal.scheme === 'machine') {
    return `agent:${principal.subject}`;
  }
  return `${isOperator(principal) ? OPERATOR_PREFIX : ''}${principal.kind}:${principal.subject}`;
}

/** True when `reader` may see who an operator is (another operator); tenant callers see the platform instead. */
function seesOperators(reader: Principal): boolean {
  return reader.scheme === 'logto' && isOperator(reader);
}

/** A recorded actor as `reader` may see it: an operator's subject only to operators, else the platform. */
export function actorShownTo(actor: string, reader: Principal): string {
  return actor.startsWith(OPERATOR_PREFIX) && !seesOperators(reader) ? PLATFORM_ACTOR : actor;
}

/** What one audit record says. Names and ids only: never a token, an assertion or a key. */
export interface AuditEntry {
  readonly tenantId: string | null;
  /** Who: actorOf(principal) (`operator:user:<sub>`, `user:<sub>`, `agent:<id>` …) or `bootstrap_token:<id>`. */
  readonly actor: string;
  /** What, as `<object>.<verb>` (e.g. `agent.registered`); the lib that records it owns its actions. */
  readonly action: string;
  /** The row acted on. */
  readonly targetId?: string | null;
  readonly sourceIp?: string | null;
  /** Why it failed, as a short code. */
  readonly reason?: string | null;
}

/** Which records to list: each given field must match exactly. */
export interface AuditFilter {
  readonly tenantId?: string;
  readonly actor?: string;
  readonly action?: string;
}

/** Who made a change, as a service hands it to the audit trail: actorOf(principal) and the client's address. */
export interface ChangedBy {
  readonly actor: string;
  readonly sourceIp?: string | null;
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

  /** A tenant's trail, newest first, as `reader` may see it (see search). */
  list(tenantId: string, query: PageQuery, reader: Principal): Promise<Page<AuditEvent>> {
    return this.search({ tenantId }, query, reader);
  }

  /**
   * The records matching every given filter (exact values), newest first, as `reader` may see it: to anyone but an
   * operator, an operator's action is the platform's, without subject or source address (customers do not learn
   * who at the platform acted, or from where).
   */
  async search(filter: AuditFilter, query: PageQuery, reader: Principal): Promise<Page<AuditEvent>> {
    const where: FindOptionsWhere<AuditEvent> = {};
    if (filter.tenantId !== undefined) {
      where.tenantId = filter.tenantId;
    }
    if (filter.actor !== undefined) {
      where.actor = filter.actor;
    }
    if (filter.action !== undefined) {
      where.action = filter.action;
    }
    const page = await findPage(this.dataSource.getRepository(AuditEvent), query, { where, order: { createdAt: 'DESC', id: 'DESC' } });
    if (seesOperators(reader)) {
      return page;
    }
    return {
      ...page,
      items: page.items.map((event) =>
        event.actor.startsWith(OPERATOR_PREFIX) ? Object.assign(new AuditEvent(), event, { actor: PLATFORM_ACTOR, sourceIp: null }) : event,
      ),
    };
  }
}
