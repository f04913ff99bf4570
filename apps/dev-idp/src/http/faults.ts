/** Failure modes a test can switch on to exercise the product's Logto client (retries, timeouts, breakers). */
export type FaultKind = 'none' | 'down' | 'slow' | 'error5xx' | 'error4xx' | 'timeoutAfterSuccess';

/** What a fault applies to: the Management API (`/api/*`), the token endpoint (`/oidc/token`), or both. */
export type FaultTarget = 'all' | 'management' | 'token';

export interface Fault {
  kind: FaultKind;
  /** `slow`: delay before handling; `timeoutAfterSuccess`: how long the response is held after the work is done. */
  delayMs?: number;
  target?: FaultTarget;
  /** Apply to this many requests, then heal by itself (e.g. 1 = fail once and succeed on retry). */
  times?: number;
  /** `error4xx`: the status answered (400–499, default 422), e.g. 429 for a rate limit. */
  status?: number;
}

export const FAULT_KINDS: readonly FaultKind[] = ['none', 'down', 'slow', 'error5xx', 'error4xx', 'timeoutAfterSuccess'];

const DEFAULT_DELAY_MS = 5_000;
const DEFAULT_CLIENT_ERROR_STATUS = 422;

export interface ActiveFault {
  kind: Exclude<FaultKind, 'none'>;
  delayMs: number;
  status: number;
}

export class FaultInjector {
  private current: { fault: ActiveFault; target: FaultTarget; remaining: number } | undefined;

  set(fault: Fault): void {
    if (fault.kind === 'none') {
      this.current = undefined;
      return;
    }
    this.current = {
      fault: { kind: fault.kind, delayMs: fault.delayMs ?? DEFAULT_DELAY_MS, status: fault.status ?? DEFAULT_CLIENT_ERROR_STATUS },
      target: fault.target ?? 'all',
      remaining: fault.times ?? Number.POSITIVE_INFINITY,
    };
  }

  /** The fault to apply to one request to `target`, counting it against `times`. */
  take(target: Exclude<FaultTarget, 'all'>): ActiveFault | undefined {
    const current = this.current;
    if (!current || (current.target !== 'all' && current.target !== target)) {
      return undefined;
    }
    current.remaining -= 1;
    if (current.remaining <= 0) {
      this.current = undefined;
    }
    return current.fault;
  }
}
