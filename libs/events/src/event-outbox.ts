import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { EventType } from './event-types';
import { EventsError } from './events.errors';

/** What a lib appends when it changes something the data plane cares about. Names and ids only: never a secret. */
export interface NewEvent {
  readonly type: EventType;
  readonly tenantId: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

/** One event as the pull feed and webhooks carry it. */
export interface FeedEvent {
  readonly id: string;
  /** The cursor: a decimal bigint, increasing in commit order. */
  readonly position: string;
  readonly type: string;
  readonly tenantId: string | null;
  readonly occurredAt: string;
  readonly data: Record<string, unknown>;
}

/** A page of the pull feed: pass `next` as `after` to read on. */
export interface FeedPage {
  readonly items: readonly FeedEvent[];
  readonly next: string;
}

interface FeedRow {
  id: string;
  position: string;
  type: string;
  tenant_id: string | null;
  created_at: Date;
  data: Record<string, unknown>;
}

const MAX_POSITION = 2n ** 63n - 1n;
const CURSOR = /^(0|[1-9]\d{0,18})$/;

/** The feed's JSON for one row: the same in GET /api/events and in a webhook body. */
export function feedEventOf(row: FeedRow): FeedEvent {
  return { id: row.id, position: String(row.position), type: row.type, tenantId: row.tenant_id, occurredAt: row.created_at.toISOString(), data: row.data };
}

export const FEED_COLUMNS = 'o.id, o.position, o.type, o.tenant_id, o.created_at, o.data';

/** A cursor as handed out (canonical decimal, within bigint), else INVALID_CURSOR. */
function parseCursor(after: string): bigint {
  if (!CURSOR.test(after) || BigInt(after) > MAX_POSITION) {
    throw new EventsError('INVALID_CURSOR', 'after: a position from this feed (a decimal integer, 0 for the start).');
  }
  return BigInt(after);
}

/**
 * The outbox: changes append here in their own transaction, the pull feed reads it in position order, and the
 * owed webhook deliveries are created with each event (so subscribers that are down lose nothing).
 */
@Injectable()
export class EventOutbox {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Appends `event` inside `tx`, the transaction of the change it describes: both commit or neither does. Its
   * position is drawn at commit (see the CreateEventFeed migration); one delivery row per matching subscription.
   */
  async append(tx: EntityManager, event: NewEvent): Promise<void> {
    await tx.query(
      `WITH appended AS (INSERT INTO event_outbox (type, tenant_id, data) VALUES ($1, $2, $3::jsonb) RETURNING id)
       INSERT INTO event_deliveries (subscription_id, event_id, tenant_id)
       SELECT s.id, appended.id, $2 FROM event_subscriptions s, appended
       WHERE $1 = ANY (s.events) OR split_part($1, '.', 1) || '.*' = ANY (s.events)`,
      [event.type, event.tenantId, JSON.stringify(event.data)],
    );
  }

  /** Up to `limit` events after position `after`, in position order. */
  async read(after: string, limit: number): Promise<FeedPage> {
    const from = parseCursor(after);
    const rows: FeedRow[] = await this.dataSource.query(
      `SELECT ${FEED_COLUMNS} FROM event_outbox o WHERE o.position > $1 ORDER BY o.position LIMIT $2`,
      [from.toString(), limit],
    );
    const items = rows.map(feedEventOf);
    return { items, next: items.at(-1)?.position ?? from.toString() };
  }
}
