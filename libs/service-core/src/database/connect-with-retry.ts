import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { describeDatabaseError } from './database-errors';

export class DatabaseUnreachableError extends Error {
  constructor(seconds: number, cause: unknown) {
    super(`PostgreSQL is unreachable after retrying for ${seconds}s: ${describeDatabaseError(cause)}`);
    this.name = 'DatabaseUnreachableError';
  }
}

/** Initializes the DataSource, retrying with capped exponential backoff for at most `seconds`. */
export async function initializeWithRetry(dataSource: DataSource, seconds: number, logger = new Logger('Database')): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let delayMs = 250;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await dataSource.initialize();
      return;
    } catch (error) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new DatabaseUnreachableError(seconds, error);
      }
      logger.warn(`PostgreSQL not reachable (attempt ${attempt}: ${describeDatabaseError(error)}); retrying in ${delayMs} ms`);
      await sleep(Math.min(delayMs, remaining));
      delayMs = Math.min(delayMs * 2, 5000);
    }
  }
}
