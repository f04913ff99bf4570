import { ProblemException } from '@app/service-core';
import { hasPlatformScope, insufficientScope, Principal, tenantNotFound } from '@app/security';
import type { TenantSnapshot } from './forward-auth.caches';

/** What a 200 tells the upstream about the caller (Traefik copies only these, by authResponseHeadersRegex). */
export type IdentityHeaders = Readonly<Record<string, string>>;

/**
 * The decision for a verified caller and the tenant of the forwarded host (undefined: no such tenant).
 * Pure: the identity headers on allow, a thrown problem on deny.
 */
export function decide(principal: Principal, tenant: TenantSnapshot | undefined, now: number): IdentityHeaders {
  if (tenant === undefined) {
    throw tenantNotFound();
  }
  let scopes: string;
  if (principal.scheme === 'machine') {
    if (principal.kind !== 'agent' || principal.tenantId !== tenant.id) {
      throw tenantNotFound();
    }
    scopes = '';
  } else if (principal.organizationId === undefined && [...principal.scopes].some((scope) => scope.startsWith('platform:'))) {
    if (!hasPlatformScope(principal, 'platform:read')) {
      throw insufficientScope('platform:read');
    }
    scopes = [...principal.scopes].filter((scope) => scope.startsWith('platform:')).join(' ');
  } else {
    if (tenant.organizationId === null || principal.organizationId !== tenant.organizationId) {
      throw tenantNotFound();
    }
    if (!principal.scopes.has('tenant:read')) {
      throw insufficientScope('tenant:read');
    }
    scopes = [...principal.scopes].filter((scope) => scope.startsWith('tenant:')).join(' ');
  }
  // Only a caller proven to belong here learns why the tenant is closed.
  if (tenant.status !== 'ACTIVE') {
    throw new ProblemException(403, `TENANT_${tenant.status}`, `This tenant is ${tenant.status.toLowerCase()}.`);
  }
  return identityHeaders(principal, tenant, scopes, now);
}

function identityHeaders(principal: Principal, tenant: TenantSnapshot, scopes: string, now: number): IdentityHeaders {
  const headers: Record<string, string> = {
    'x-cameleer-tenant-id': tenant.id,
    'x-cameleer-tenant-slug': tenant.slug,
    'x-cameleer-subject': principal.subject,
    'x-cameleer-principal': principal.scheme === 'machine' ? 'agent' : principal.kind,
    'x-cameleer-scopes': scopes,
  };
  // The snapshot may outlive the license's grace: usable is rechecked at each decision.
  if (tenant.license !== undefined && tenant.license.usableUntil.getTime() > now) {
    headers['x-cameleer-license-tier'] = tenant.license.tier;
  }
  return headers;
}
