import { Injectable, Logger } from '@nestjs/common';

/** Where an agent credential failed before it could be tied to a row: bad signature, malformed, wrong type, ... */
export type UnverifiedFailureKind = 'bootstrap_token' | 'agent_token' | 'assertion';

/**
 * Counts credentials that failed verification. They are not audited (an attacker controls their volume and
 * content) but counted here and logged with the running count; `snapshot()` is the metric.
 */
@Injectable()
export class AgentAuthFailureCounter {
  private readonly logger = new Logger('AgentAuth');
  private readonly counts = new Map<string, number>();

  record(kind: UnverifiedFailureKind, reason: string, sourceIp: string | undefined): void {
    const key = `${kind}:${reason}`;
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    // Reason codes and the source only: never the credential.
    this.logger.warn({ kind, reason, sourceIp, count }, `unverifiable agent credential (${key}, ${count} so far)`);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  total(): number {
    let sum = 0;
    for (const value of this.counts.values()) {
      sum += value;
    }
    return sum;
  }
}
