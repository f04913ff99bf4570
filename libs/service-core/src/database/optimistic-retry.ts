/** What an optimistic attempt returns when the row moved on under it (its version-guarded write matched nothing). */
export const STALE: unique symbol = Symbol('STALE');

export const OPTIMISTIC_ATTEMPTS = 3;

/**
 * Read, decide, write guarded by the version read: `attempt` returns STALE when the guarded write found the row
 * at another version, and is then run again on a fresh read, up to `attempts` times. When every attempt was
 * stale, throws what `exhausted` gives (the row keeps changing under us: the caller should retry later).
 */
export async function retryOptimistically<T>(attempt: () => Promise<T | typeof STALE>, exhausted: () => Error, attempts = OPTIMISTIC_ATTEMPTS): Promise<T> {
  for (let tried = 0; tried < attempts; tried++) {
    const result = await attempt();
    if (result !== STALE) {
      return result;
    }
  }
  throw exhausted();
}
