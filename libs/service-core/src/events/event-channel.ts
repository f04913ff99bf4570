import { Logger } from '@nestjs/common';

export type EventListener<E> = (event: E) => void;

/**
 * In-process events of one kind (a lib's TenantEvents, LicenseEvents, … extend it). Listeners run
 * synchronously, in subscription order, after the change is committed; a listener's error is logged
 * and never reaches the emitter, so a broken subscriber cannot fail the write that emitted.
 */
export class EventChannel<E> {
  private readonly logger: Logger;
  private readonly listeners = new Set<EventListener<E>>();

  constructor(name: string) {
    this.logger = new Logger(name);
  }

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: EventListener<E>): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: E): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error, event }, 'an event listener failed');
      }
    }
  }
}
