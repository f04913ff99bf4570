import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { describeDatabaseError } from './database-errors';

export class DatabaseUnreachableError extends Error {
  constructor(seconds: number, cause: unknown) {
    super(`PostgreSQL is unreachable after retrying for ${seconds}s: ${describeDatabaseError(cause)}`);
    this.name = 'DatabaseUnreachableError';
  }
}

/** Initializes the DataSource, retrying with capped exponential backoff for at most `seconds`. */
export function initializeWithRetry(dataSource: DataSource, seconds: number, logger = new Logger('Database')): Promise<void> {
  return retryFor(seconds, logger, async () => {
    await dataSource.initialize();
  });
}

/**
 * Waits until PostgreSQL at `url` accepts a connection, retrying for at most `seconds`; called
 * before the app is built, so an unreachable database ends the process with one clear line.
 */
export function waitForDatabase(url: string, seconds: number, logger = new Logger('Database')): Promise<void> {
  return retryFor(seconds, logger, async () => {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
    }
  });
}

async function retryFor(seconds: number, logger: Logger, attemptOnce: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  let delayMs = 250;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await attemptOnce();
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
