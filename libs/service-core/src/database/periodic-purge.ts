import { Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { isDatabaseUnavailable } from './database-errors';

const PURGE_INTERVAL_MS = 60_000;

/**
 * Deletes rows past their use every minute, from module init to shutdown. Whoever reads those rows checks expiry
 * itself, so a run that fails only lets a table grow: a database outage is not worth a warning (readiness reports
 * it), anything else is.
 */
export abstract class PeriodicPurge implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(this.constructor.name);
  private timer?: NodeJS.Timeout;

  /** `what` names the rows in the warning ("used assertion jtis"). */
  protected constructor(private readonly what: string) {}

  /** One run's deletes. */
  protected abstract deleteExpired(): Promise<void>;

  onModuleInit(): void {
    this.timer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async purge(): Promise<void> {
    try {
      await this.deleteExpired();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        this.logger.warn({ err: error }, `could not purge ${this.what}`);
      }
    }
  }
}
