import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { SecurityModule } from '@app/security';
import { eventsConfig } from './events.config';
import { EventOutbox } from './event-outbox';

/**
 * The signed event feed for the data plane: the outbox other libs append to (EventOutbox, exported), the pull
 * feed, webhook subscriptions and their delivery worker.
 */
@Module({
  imports: [ConfigModule.forFeature(eventsConfig), SecurityModule],
  providers: [EventOutbox],
  exports: [EventOutbox],
})
export class EventsModule {}
