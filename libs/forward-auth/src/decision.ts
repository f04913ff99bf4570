import { AccessRequirement, evaluateAccess, Principal, securityErrorFor } from '@app/security';
import type { TenantSnapshot } from './forward-auth.caches';

/**
 * The identity headers a 200 may carry, the one list of them: decide() writes these (its literal is typed by it),
 * ForwardAuthService adds the signed assertion of them (x-cameleer-identity, identity-assertion.ts), and the stack's header-stripping middleware (docker-compose.prod.yml) must name each of them (checked by
 * test/deploy/compose-stack.spec.ts).
 */
export const IDENTITY_HEADER_NAMES = [
  'x-cameleer-tenant-id',
  'x-cameleer-tenant-slug',
  'x-cameleer-subject',
  'x-cameleer-principal',
  'x-cameleer-scopes',
  'x-cameleer-license-tier',
  'x-cameleer-identity',
] as const;

type IdentityHeaderName = (typeof IDENTITY_HEADER_NAMES)[number];
/** Sent only when the tenant has a usable license; and the assertion, which decide() does not write. */
type OptionalIdentityHeader = 'x-cameleer-license-tier' | 'x-cameleer-identity';

/** What a 200 tells the upstream about the caller (Traefik copies only these, by authResponseHeadersRegex); none on a preflight. */
export type IdentityHeaders = Readonly<Partial<Record<IdentityHeaderName, string>>>;

/**
 * Who may enter a tenant's own services: operators with platform:read, members of the tenant with
 * tenant:read, or the tenant's agents (access tokens only: a bootstrap token never opens the platform);
 * the tenant must be ACTIVE.
 */
export const ENTER_TENANT: AccessRequirement = { logto: { platform: 'platform:read', tenant: 'tenant:read' }, machine: ['agent'], tenant: { mustBeActive: true } };

/**
 * The decision for a verified caller and the tenant of the forwarded host (undefined: no such tenant),
 * by the security lib's one rule. The identity headers on allow; the rule's SecurityError thrown on deny.
 */
export function decide(principal: Principal, tenant: TenantSnapshot | undefined, now: number): IdentityHeaders {
  const verdict = evaluateAccess(principal, ENTER_TENANT, tenant);
  if (!verdict.allow) {
    throw securityErrorFor(verdict);
  }
  if (tenant === undefined) {
    // The requirement is about a tenant: evaluateAccess never lets anyone into one that does not exist.
    throw securityErrorFor({ allow: false, reason: 'not_found' });
  }
  // Let in: an agent, an operator (its platform scopes) or a member (its tenant scopes).
  const scopePrefix = principal.scheme === 'logto' && principal.organizationId === undefined ? 'platform:' : 'tenant:';
  const headers: Record<Exclude<IdentityHeaderName, OptionalIdentityHeader>, string> & Partial<Record<OptionalIdentityHeader, string>> = {
    'x-cameleer-tenant-id': tenant.id,
    'x-cameleer-tenant-slug': tenant.slug,
    'x-cameleer-subject': principal.subject,
    'x-cameleer-principal': principal.scheme === 'machine' ? 'agent' : principal.kind,
    'x-cameleer-scopes': principal.scheme === 'machine' ? '' : [...principal.scopes].filter((scope) => scope.startsWith(scopePrefix)).join(' '),
  };
  // The snapshot may outlive the license's grace: usable is rechecked at each decision.
  if (tenant.license !== undefined && tenant.license.usableUntil.getTime() > now) {
    headers['x-cameleer-license-tier'] = tenant.license.tier;
  }
  return headers;
}
