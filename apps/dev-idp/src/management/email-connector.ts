/** A message Logto handed to its email connector (connector-kit `SendMessageData`: to, type, payload). */
export interface SentEmail {
  to: string;
  /** connector-kit `TemplateType`, e.g. `OrganizationInvitation`. */
  type: string;
  payload: Record<string, unknown>;
  /** Epoch milliseconds. */
  sentAt: number;
}

/**
 * The dev IdP's email connector: it records each message instead of sending it, for tests to read over the control
 * channel (op `emails`). Disabled (op `setEmailConnector`), it behaves as a Logto with no email connector
 * configured: core libraries/connector.ts `getMessageConnector` throws 501 `connector.not_found`.
 */
export class EmailConnector {
  enabled = true;
  private readonly outbox: SentEmail[] = [];
  /** Bounded: a long-running dev IdP must not grow without end. */
  private static readonly KEPT = 1000;

  get sent(): readonly SentEmail[] {
    return this.outbox;
  }

  send(message: Omit<SentEmail, 'sentAt'>): boolean {
    if (!this.enabled) {
      return false;
    }
    this.outbox.push({ ...message, sentAt: Date.now() });
    if (this.outbox.length > EmailConnector.KEPT) {
      this.outbox.splice(0, this.outbox.length - EmailConnector.KEPT);
    }
    return true;
  }
}
