import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** The deadline, in milliseconds, that the contract promises ("within a second": 1000). */
  readonly within: number;
  /** Pause between two attempts (default 25 ms). */
  readonly every?: number;
}

/**
 * Proves a deadline that is part of a contract: runs `probe` (an assertion, e.g. `expect(status).toBe(403)`)
 * until it passes, and fails with the probe's last error once an attempt started after `within` ms still fails.
 * Resolves to what the passing probe returned.
 *
 *   await eventually(async () => expect((await verify()).status).toBe(403), { within: 1000 });
 */
export async function eventually<T>(probe: () => T | Promise<T>, { within, every = 25 }: EventuallyOptions): Promise<T> {
  const deadline = performance.now() + within;
  for (let attempt = 1; ; attempt++) {
    const startedAt = performance.now();
    try {
      return await probe();
    } catch (error: unknown) {
      if (startedAt >= deadline) {
        const last = error instanceof Error ? error.message : String(error);
        throw new Error(`still failing after ${within} ms (${attempt} attempts); the last attempt said:\n${last}`, { cause: error });
      }
    }
    await sleep(Math.max(0, Math.min(every, deadline - performance.now())));
  }
}
