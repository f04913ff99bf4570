import { KeyPurpose } from '../keys';

/** The machine tokens this service mints. Each kind has its own `typ`, audience and lifetime cap. */
export type MachineTokenKind = 'agent-bootstrap' | 'agent' | 'data-plane';

export interface MachineTokenKindSpec {
  readonly kind: MachineTokenKind;
  /** The JOSE header `typ` (RFC 8725 §3.11): tells this kind apart from every other JWT. */
  readonly typ: string;
  /** The `aud` claim, derived from the issuer (PUBLIC_URL, no trailing slash). */
  audience(publicUrl: string): string;
  /** Longest allowed lifetime; `sign` refuses more, `verify` refuses tokens older than this (iat). */
  readonly maxLifetimeSeconds: number;
  /** Which keyring signs and verifies it: always the machine keyring, never the license key. */
  readonly keyPurpose: Extract<KeyPurpose, 'machine'>;
}

export const MACHINE_TOKEN_KINDS: Readonly<Record<MachineTokenKind, MachineTokenKindSpec>> = Object.freeze({
  'agent-bootstrap': Object.freeze({
    kind: 'agent-bootstrap',
    typ: 'agent-bootstrap+jwt',
    audience: (publicUrl: string) => `${publicUrl}/api/agents/register`,
    maxLifetimeSeconds: 24 * 60 * 60,
    keyPurpose: 'machine',
  }),
  agent: Object.freeze({
    kind: 'agent',
    typ: 'agent+jwt',
    audience: () => 'cameleer-platform',
    maxLifetimeSeconds: 15 * 60,
    keyPurpose: 'machine',
  }),
  // A data-plane service (cameleer3-server) reading the event feed: minted by an operator, bound to no tenant
  // (tenant_id is DATA_PLANE_TENANT, never a tenant's id, so no tenant route accepts it), audience the feed.
  'data-plane': Object.freeze({
    kind: 'data-plane',
    typ: 'data-plane+jwt',
    audience: (publicUrl: string) => `${publicUrl}/api/events`,
    maxLifetimeSeconds: 90 * 24 * 60 * 60,
    keyPurpose: 'machine',
  }),
});

/** The tenant_id claim of data-plane tokens: they speak for the platform's data plane, not for a tenant. */
export const DATA_PLANE_TENANT = 'platform';

const MACHINE_TOKEN_KIND_NAMES: readonly MachineTokenKind[] = Object.freeze(['agent-bootstrap', 'agent', 'data-plane'] as const);

/**
 * The kind a `typ` header names, or undefined. Compared as RFC 7515 §4.1.9 suggests (case-insensitive,
 * an `application/` prefix ignored), the same way jose compares it on verification.
 */
export function machineTokenKindOfTyp(typ: string | undefined): MachineTokenKind | undefined {
  if (typeof typ !== 'string') {
    return undefined;
  }
  const normalized = typ.toLowerCase().replace(/^application\//, '');
  return MACHINE_TOKEN_KIND_NAMES.find((kind) => MACHINE_TOKEN_KINDS[kind].typ === normalized);
}
