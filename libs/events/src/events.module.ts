import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { SecurityModule } from '@app/security';
import { eventsConfig } from './events.config';
import { DataPlaneTokens } from './data-plane-tokens';
import { EventDeliveryWorker } from './event-delivery.worker';
import { EventOutbox } from './event-outbox';
import { EventSubscriptionsService } from './event-subscriptions.service';
import { EventFeedController, EventSubscriptionsController } from './http/events.controller';

/**
 * The signed event feed for the data plane: the outbox other libs append to (EventOutbox, exported), the pull
 * feed, webhook subscriptions and their delivery worker.
 */
@Module({
  imports: [ConfigModule.forFeature(eventsConfig), SecurityModule],
  controllers: [EventFeedController, EventSubscriptionsController],
  providers: [EventOutbox, EventSubscriptionsService, EventDeliveryWorker, DataPlaneTokens],
  exports: [EventOutbox],
})
export class EventsModule {}
