import { Check, Column, Entity, ForeignKey, Index, PrimaryGeneratedColumn } from 'typeorm';

// Declared as CreateEventFeed1795966700000 creates them, so TypeORM's schema builder proposes no change.

/**
 * One change the data plane hears about, written in the transaction of the change. `position` is NULL until the
 * transaction commits: a deferred trigger numbers rows at commit time under an advisory lock (see the migration),
 * so positions follow commit order and a reader never sees a higher position before a lower one.
 */
@Entity({ name: 'event_outbox' })
@Index('uq_event_outbox_position', ['position'], { unique: true })
@Index('ix_event_outbox_created', ['createdAt'])
@Check('ck_event_outbox_type', `type ~ '^[a-z]+\\.[a-z_]+$'`)
export class OutboxEvent {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_event_outbox' })
  id!: string;

  /** A bigint, as a string (beyond 2^53 a number would lose digits). */
  @Column({ type: 'bigint', nullable: true })
  position!: string | null;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId!: string | null;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}

/** A webhook target and the events it wants (exact names, or `<object>.*` prefixes). */
@Entity({ name: 'event_subscriptions' })
export class EventSubscription {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_event_subscriptions' })
  id!: string;

  @Column({ type: 'varchar', length: 2048 })
  url!: string;

  @Column({ type: 'text', array: true })
  events!: string[];

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'created_by', type: 'varchar', length: 255 })
  createdBy!: string;
}

export type DeliveryStatus = 'PENDING' | 'DEAD';

/**
 * One event still owed to one subscription. Deleted once delivered; DEAD after the last attempt failed, until an
 * operator redelivers it. Created with the event (same transaction), so a subscriber that is down loses nothing.
 */
@Entity({ name: 'event_deliveries' })
@Index('uq_event_deliveries_subscription_event', ['subscriptionId', 'eventId'], { unique: true })
@Index('ix_event_deliveries_due', ['status', 'nextAttemptAt'])
@Index('ix_event_deliveries_event', ['eventId'])
@Check('ck_event_deliveries_status', `status IN ('PENDING', 'DEAD')`)
export class EventDelivery {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_event_deliveries' })
  id!: string;

  @Column({ name: 'subscription_id', type: 'uuid' })
  @ForeignKey(() => EventSubscription, { name: 'fk_event_deliveries_subscription', onDelete: 'CASCADE' })
  subscriptionId!: string;

  @Column({ name: 'event_id', type: 'uuid' })
  // RESTRICT: an event is pruned only once nothing is owed on it.
  @ForeignKey(() => OutboxEvent, { name: 'fk_event_deliveries_event', onDelete: 'RESTRICT' })
  eventId!: string;

  /** The event's tenant: deliveries to one subscription are made in order per tenant. */
  @Column({ name: 'tenant_id', type: 'uuid', nullable: true })
  tenantId!: string | null;

  @Column({ type: 'varchar', length: 16, default: 'PENDING' })
  status!: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', nullable: true })
  lastAttemptAt!: Date | null;

  /** Why the last attempt failed (status code or a short reason); never the response body. */
  @Column({ name: 'last_error', type: 'varchar', length: 255, nullable: true })
  lastError!: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;
}
