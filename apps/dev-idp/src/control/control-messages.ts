import type { Fault } from '../http/faults';
import type { SentEmail } from '../management/email-connector';

/**
 * The dev IdP's IPC protocol (parent ⇄ child via `process.send`). There is deliberately no HTTP equivalent:
 * only the process that spawned the IdP can mint tokens for arbitrary users or change its behaviour.
 */
export type ControlRequest =
  | {
      id: number;
      op: 'mintUserToken';
      sub: string;
      resource: string;
      scopes: string[];
      organizationId?: string;
      expiresIn?: number;
      clientId?: string;
    }
  | { id: number; op: 'mintOrganizationToken'; sub: string; organizationId: string; scopes: string[]; expiresIn?: number }
  | {
      id: number;
      op: 'registerApp';
      clientId?: string;
      clientSecret?: string;
      name?: string;
      scopesByResource: Record<string, string[]>;
    }
  | { id: number; op: 'setFault'; fault: Fault }
  /** The messages the email connector recorded, oldest first (optionally only those to one address). */
  | { id: number; op: 'emails'; to?: string }
  /** false: behave as a Logto without an email connector (501 `connector.not_found`). */
  | { id: number; op: 'setEmailConnector'; enabled: boolean };

export type ControlOp = ControlRequest['op'];

export interface ControlResults {
  mintUserToken: { token: string };
  mintOrganizationToken: { token: string };
  registerApp: { clientId: string; clientSecret: string };
  setFault: Record<string, never>;
  emails: { emails: SentEmail[] };
  setEmailConnector: Record<string, never>;
}

export type ControlReply =
  | { id: number; ok: true; result: ControlResults[ControlOp] }
  | { id: number; ok: false; error: string };

/** Sent once when the server accepts connections (stdout JSON line and, with IPC, as a message). */
export interface ListeningEvent {
  event: 'listening';
  endpoint: string;
  issuer: string;
  jwksUri: string;
  kid: string;
}
