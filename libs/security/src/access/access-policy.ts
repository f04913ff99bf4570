import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { MachineTokenKind } from '../machine';

export const ACCESS_POLICY = 'cameleer:access-policy';

export type PlatformScope = 'platform:read' | 'platform:write';
export type TenantScope = 'tenant:read' | 'tenant:admin';

/**
 * Who may call a route. Routes without a policy (and not @Public) are denied.
 * - `logto`: a Logto access token for this API. With `platform`, an operator token holding that
 *   scope; with `tenant`, an organization-scoped token bound to the path's tenant holding that
 *   scope. Either suffices when both are given. With neither, any valid Logto caller.
 * - `machine`: a machine token of one of the given kinds.
 */
export type AccessPolicy =
  | {
      readonly scheme: 'logto';
      readonly platform?: PlatformScope;
      readonly tenant?: TenantScope;
      readonly tenantParam?: string;
      /** Machine tokens of these kinds are accepted too (only on routes about no tenant). */
      readonly machine?: readonly MachineTokenKind[];
    }
  | { readonly scheme: 'machine'; readonly kinds: readonly MachineTokenKind[] };

/** Operators with `platform`, or members of the path's tenant with `tenant` (path param `tenantParam`, default `id`). */
export function Authorize(scopes: { platform?: PlatformScope; tenant?: TenantScope; tenantParam?: string; machine?: readonly MachineTokenKind[] }): MethodDecorator & ClassDecorator {
  if (scopes.platform === undefined && scopes.tenant === undefined) {
    throw new Error('Authorize() needs a platform or a tenant scope; use Authenticated() for any Logto caller');
  }
  if (scopes.machine !== undefined && scopes.tenant !== undefined) {
    throw new Error('Authorize() takes machine kinds only on routes about no tenant (platform scopes)');
  }
  const policy = applyDecorators(SetMetadata(ACCESS_POLICY, { scheme: 'logto', ...scopes } satisfies AccessPolicy), ApiBearerAuth('logto'));
  return scopes.machine === undefined ? policy : applyDecorators(policy, ApiBearerAuth('machine'));
}

/** Any caller with a valid Logto access token for this API. */
export function Authenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(ACCESS_POLICY, { scheme: 'logto' } satisfies AccessPolicy), ApiBearerAuth('logto'));
}

/** Callers holding a machine token of one of these kinds. */
export function MachineAuth(...kinds: MachineTokenKind[]): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(ACCESS_POLICY, { scheme: 'machine', kinds } satisfies AccessPolicy), ApiBearerAuth('machine'));
}
