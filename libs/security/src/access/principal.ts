/** Who is calling, as proven by a verified token. */
export type Principal = LogtoPrincipal | MachinePrincipal;

/**
 * A caller with a Logto access token for this API. `app` when the token belongs to a
 * machine-to-machine application (Logto's own test: `sub === client_id`), `user` otherwise.
 */
export interface LogtoPrincipal {
  readonly scheme: 'logto';
  readonly kind: 'user' | 'app';
  readonly subject: string;
  readonly clientId: string;
  readonly scopes: ReadonlySet<string>;
  /** Present on organization-scoped API tokens: the Logto organization the scopes were granted in. */
  readonly organizationId?: string;
  readonly tokenId?: string;
  /** The token's `iat` (whole seconds): what a revocation compares against (PrincipalRevocations). */
  readonly issuedAt?: Date;
  readonly expiresAt: Date;
}

/** An agent (or an agent-to-be), or a data-plane service, holding a machine token signed with this platform's machine key. */
export interface MachinePrincipal {
  readonly scheme: 'machine';
  readonly kind: 'agent-bootstrap' | 'agent' | 'data-plane';
  readonly subject: string;
  readonly tenantId: string;
  readonly tokenId: string;
  readonly expiresAt: Date;
}
