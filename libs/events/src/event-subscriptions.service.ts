import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isUuid, Page, PageQuery, toPage } from '@app/service-core';
import { AuditTrail, ChangedBy } from '@app/security';
import { EventDelivery, EventSubscription } from './event-feed.entities';
import { eventsConfig, EventsConfig } from './events.config';
import { EventsError } from './events.errors';
import { checkTargetUrl, resolveAllowed } from './target-policy';

/** A subscription as the API shows it, with what is still owed to it. */
export interface SubscriptionView {
  readonly id: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly createdAt: Date;
  readonly createdBy: string;
  /** Deliveries waiting for their (next) attempt. */
  readonly pending: number;
  /** Dead letters: deliveries whose last attempt failed; POST …/redeliver queues them again. */
  readonly dead: number;
}

interface SubscriptionRow {
  id: string;
  url: string;
  events: string[];
  created_at: Date;
  created_by: string;
  pending: string;
  dead: string;
}

function viewOf(row: SubscriptionRow): SubscriptionView {
  return { id: row.id, url: row.url, events: row.events, createdAt: row.created_at, createdBy: row.created_by, pending: Number(row.pending), dead: Number(row.dead) };
}

function subscriptionNotFound(): EventsError {
  return new EventsError('NOT_FOUND', 'No such event subscription.');
}

const VIEW_SELECT = `SELECT s.id, s.url, s.events, s.created_at, s.created_by,
        (SELECT count(*) FROM event_deliveries d WHERE d.subscription_id = s.id AND d.status = 'PENDING') AS pending,
        (SELECT count(*) FROM event_deliveries d WHERE d.subscription_id = s.id AND d.status = 'DEAD') AS dead
   FROM event_subscriptions s`;

/** Webhook subscriptions (platform operators'): create, list, delete, and redeliver their dead letters. Audited. */
@Injectable()
export class EventSubscriptionsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditTrail,
    @Inject(eventsConfig.KEY) private readonly config: EventsConfig,
  ) {}

  /** Checks the target (scheme, address, what its name resolves to now) and subscribes it to `events` from now on. */
  async create(rawUrl: string, events: readonly string[], by: ChangedBy): Promise<SubscriptionView> {
    const url = checkTargetUrl(rawUrl, this.config.allowInsecureTargets);
    try {
      await resolveAllowed(url.hostname, this.config.allowInsecureTargets);
    } catch (error) {
      if (error instanceof EventsError) {
        throw error;
      }
      throw new EventsError('TARGET_NOT_ALLOWED', `url: ${url.hostname} does not resolve.`);
    }
    const id = await this.dataSource.transaction(async (tx) => {
      const [row] = await tx.query<{ id: string }[]>(`INSERT INTO event_subscriptions (url, events, created_by) VALUES ($1, $2, $3) RETURNING id`, [
        url.toString(),
        [...new Set(events)],
        by.actor.slice(0, 255),
      ]);
      await this.audit.record({ tenantId: null, actor: by.actor, action: 'event_subscription.created', targetId: row!.id, sourceIp: by.sourceIp }, tx);
      return row!.id;
    });
    return this.get(id);
  }

  async get(id: string): Promise<SubscriptionView> {
    const [row] = isUuid(id) ? await this.dataSource.query<SubscriptionRow[]>(`${VIEW_SELECT} WHERE s.id = $1`, [id]) : [];
    if (row === undefined) {
      throw subscriptionNotFound();
    }
    return viewOf(row);
  }

  async list(query: PageQuery): Promise<Page<SubscriptionView>> {
    const rows = await this.dataSource.query<SubscriptionRow[]>(`${VIEW_SELECT} ORDER BY s.created_at DESC, s.id DESC LIMIT $1 OFFSET $2`, [query.pageSize, query.offset]);
    const total = await this.dataSource.getRepository(EventSubscription).count();
    return toPage(rows.map(viewOf), total, query);
  }

  /** The subscription's dead letters, oldest event first. */
  async deadLetters(id: string, query: PageQuery): Promise<Page<EventDelivery>> {
    await this.get(id);
    const [items, total] = await this.dataSource.getRepository(EventDelivery).findAndCount({
      where: { subscriptionId: id, status: 'DEAD' },
      order: { createdAt: 'ASC', id: 'ASC' },
      skip: query.offset,
      take: query.pageSize,
    });
    return toPage(items, total, query);
  }

  /** Ends the subscription; what was still owed to it is dropped with it. */
  async delete(id: string, by: ChangedBy): Promise<void> {
    await this.get(id);
    await this.dataSource.transaction(async (tx) => {
      const [, deleted] = await tx.query<[unknown, number]>(`DELETE FROM event_subscriptions WHERE id = $1`, [id]);
      if (deleted === 1) {
        await this.audit.record({ tenantId: null, actor: by.actor, action: 'event_subscription.deleted', targetId: id, sourceIp: by.sourceIp }, tx);
      }
    });
  }

  /** Queues every dead letter of the subscription again, from a first attempt; returns how many. */
  async redeliver(id: string, by: ChangedBy): Promise<number> {
    await this.get(id);
    return this.dataSource.transaction(async (tx) => {
      const [, count] = await tx.query<[unknown, number]>(
        `UPDATE event_deliveries SET status = 'PENDING', attempts = 0, next_attempt_at = now(), last_error = NULL
          WHERE subscription_id = $1 AND status = 'DEAD'`,
        [id],
      );
      await this.audit.record({ tenantId: null, actor: by.actor, action: 'event_subscription.redelivered', targetId: id, sourceIp: by.sourceIp }, tx);
      return count;
    });
  }
}
