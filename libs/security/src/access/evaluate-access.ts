import type { MachineTokenKind } from '../machine';
import type { AccessPolicy, PlatformScope, TenantScope } from './access-policy';
import { LogtoPrincipal, MachinePrincipal, Principal } from './principal';
import type { TenantAccessFacts, TenantState } from './tenant-access';

/**
 * Who may make a call, as evaluateAccess reads it. Built from a route's declared policy
 * (requirementOf) or, by forward-auth, for a request entering a tenant's own services.
 */
export interface AccessRequirement {
  /**
   * Logto access tokens accepted: from operators (tokens bound to no organization) holding
   * `platform`, or from members of the tenant in question (tokens scoped to its organization)
   * holding `tenant`; either suffices when both are given, any Logto caller when neither is.
   * Absent: no Logto token is accepted.
   */
  readonly logto?: { readonly platform?: PlatformScope; readonly tenant?: TenantScope };
  /** Machine tokens accepted, by kind; they must be issued for the tenant in question, if any. */
  readonly machine?: readonly MachineTokenKind[];
  /**
   * Present when the call is about one tenant (the path's, the host's): its facts are then passed to
   * evaluateAccess. `mustBeActive` when the call enters the tenant itself (forward-auth); API routes
   * leave the tenant's state to their services.
   */
  readonly tenant?: { readonly mustBeActive: boolean };
}

/** The kinds of bearer token: Logto access tokens and this platform's machine tokens. */
export type TokenKind = 'logto' | MachineTokenKind;

/** Why a caller is not let in; securityErrorFor turns it into the answer. */
export type AccessDenial =
  | { readonly allow: false; readonly reason: 'no_token' | 'malformed_header' | 'invalid_token' | 'not_declared' | 'not_found' }
  /** `sent` is read from the unverified header (undefined: no kind we know); `accepted` what the call takes. */
  | { readonly allow: false; readonly reason: 'token_not_accepted'; readonly sent?: TokenKind; readonly accepted?: readonly TokenKind[] }
  /** Only for a token whose signature, issuer and audience verified. */
  | { readonly allow: false; readonly reason: 'token_expired'; readonly kind: TokenKind }
  /** Only for a token whose signature and issuer verified; `audience` is the one expected. */
  | { readonly allow: false; readonly reason: 'organization_token' | 'wrong_audience'; readonly audience: string }
  | { readonly allow: false; readonly reason: 'insufficient_scope'; readonly scope: string }
  | { readonly allow: false; readonly reason: 'tenant_not_active'; readonly status: Exclude<TenantState, 'ACTIVE'> };

export type AccessVerdict = { readonly allow: true } | AccessDenial;

const ALLOW: AccessVerdict = Object.freeze({ allow: true });
const NOT_FOUND: AccessDenial = Object.freeze({ allow: false, reason: 'not_found' });
const NOT_ACCEPTED: AccessDenial = Object.freeze({ allow: false, reason: 'token_not_accepted' });

/** The requirement a route's declared policy (@Authorize, @Authenticated, @MachineAuth) stands for. */
export function requirementOf(policy: AccessPolicy): AccessRequirement {
  if (policy.scheme === 'machine') {
    return { machine: policy.kinds };
  }
  const { platform, tenant, machine } = policy;
  if (tenant === undefined) {
    return machine === undefined ? { logto: { platform } } : { logto: { platform }, machine };
  }
  return { logto: { platform, tenant }, tenant: { mustBeActive: false } };
}

/**
 * THE authorization rule, for the global guard and forward-auth alike. `tenant` is the tenant in
 * question (undefined when there is no such tenant) and only read when the requirement is about one.
 *
 * - Operators are known to the platform: without the platform scope they are told which scope is
 *   missing, whatever the tenant. With it, a tenant must exist, and (where the call enters the tenant)
 *   be ACTIVE, else they learn its state.
 * - Everyone else must be proven to belong to the tenant (its organization, or a machine token issued
 *   for it) before learning anything: otherwise 404, exactly as for a tenant that does not exist. A
 *   deleted tenant has no members any more. Then a missing tenant scope, then the tenant's state.
 */
export function evaluateAccess(principal: Principal, requirement: AccessRequirement, tenant?: TenantAccessFacts): AccessVerdict {
  return principal.scheme === 'machine' ? evaluateMachine(principal, requirement, tenant) : evaluateLogto(principal, requirement, tenant);
}

function evaluateMachine(principal: MachinePrincipal, requirement: AccessRequirement, tenant: TenantAccessFacts | undefined): AccessVerdict {
  if (requirement.machine?.includes(principal.kind) !== true) {
    return NOT_ACCEPTED;
  }
  if (requirement.tenant === undefined) {
    return ALLOW;
  }
  if (tenant === undefined || tenant.status === 'DELETED' || tenant.id !== principal.tenantId) {
    return NOT_FOUND;
  }
  return stateOf(tenant, requirement.tenant.mustBeActive);
}

function evaluateLogto(principal: LogtoPrincipal, requirement: AccessRequirement, tenant: TenantAccessFacts | undefined): AccessVerdict {
  if (requirement.logto === undefined) {
    return NOT_ACCEPTED;
  }
  const { platform, tenant: tenantScope } = requirement.logto;
  if (platform === undefined && tenantScope === undefined) {
    return ALLOW;
  }
  if (principal.organizationId === undefined) {
    if (platform !== undefined && principal.scopes.has(platform)) {
      if (requirement.tenant === undefined) {
        return ALLOW;
      }
      return tenant === undefined ? NOT_FOUND : stateOf(tenant, requirement.tenant.mustBeActive);
    }
    if (isOperator(principal) || requirement.tenant === undefined || tenantScope === undefined) {
      return insufficientScope(platform ?? tenantScope);
    }
    // A token bound to no organization and without platform scopes belongs to no tenant.
    return NOT_FOUND;
  }
  // Platform scopes never count from an organization-scoped token.
  if (requirement.tenant === undefined || tenantScope === undefined) {
    return insufficientScope(platform ?? tenantScope);
  }
  if (tenant === undefined || tenant.status === 'DELETED' || tenant.organizationId !== principal.organizationId) {
    return NOT_FOUND;
  }
  if (!principal.scopes.has(tenantScope)) {
    return insufficientScope(tenantScope);
  }
  return stateOf(tenant, requirement.tenant.mustBeActive);
}

function stateOf(tenant: TenantAccessFacts, mustBeActive: boolean): AccessVerdict {
  return !mustBeActive || tenant.status === 'ACTIVE' ? ALLOW : { allow: false, reason: 'tenant_not_active', status: tenant.status };
}

function insufficientScope(scope: string | undefined): AccessDenial {
  // A requirement naming no scope accepts any Logto caller and never gets here.
  return { allow: false, reason: 'insufficient_scope', scope: scope ?? '' };
}

/** Platform scopes count only from tokens that are not bound to an organization (global roles). */
export function hasPlatformScope(principal: LogtoPrincipal, scope: PlatformScope): boolean {
  return principal.organizationId === undefined && principal.scopes.has(scope);
}

/** A caller known to the platform: a token bound to no organization holding any platform scope. */
export function isOperator(principal: LogtoPrincipal): boolean {
  return principal.organizationId === undefined && [...principal.scopes].some((scope) => scope.startsWith('platform:'));
}
