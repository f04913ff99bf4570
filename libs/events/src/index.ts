// The signed event feed (issue 16): an outbox written in the transaction of each change, the pull feed
// (GET /api/events), webhook subscriptions and their delivery worker (signed with the platform key).
export { EventDelivery, EventSubscription, OutboxEvent } from './event-feed.entities';
export { EventDeliveryWorker } from './event-delivery.worker';
export { EventOutbox, type NewEvent } from './event-outbox';
export { type EventType } from './event-types';
export { EventsModule } from './events.module';
