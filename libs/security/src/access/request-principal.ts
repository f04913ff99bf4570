import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { Principal } from './principal';

const PRINCIPAL = Symbol('cameleer.principal');

type WithAuth = { [PRINCIPAL]?: Principal };

export function attachPrincipal(request: object, principal: Principal): void {
  (request as WithAuth)[PRINCIPAL] = principal;
}

function principalOf(request: object): Principal | undefined {
  return (request as WithAuth)[PRINCIPAL];
}

/**
 * The verified caller. Throws (a server error, by design) on a route where no guard authenticated
 * anyone — that is a wiring mistake, never a reason to act as nobody.
 */
export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = principalOf(context.switchToHttp().getRequest<object>());
  if (principal === undefined) {
    throw new Error('CurrentPrincipal used on a route where no guard authenticated the caller');
  }
  return principal;
});

/**
 * A stable key for the verified caller of a request (client, subject and organization of a Logto
 * token; kind, tenant and subject of a machine token): what per-caller state such as
 * Idempotency-Key records is scoped to. Undefined when no guard authenticated anyone.
 */
export function callerKeyOf(request: object): string | undefined {
  const principal = principalOf(request);
  if (principal === undefined) {
    return undefined;
  }
  return principal.scheme === 'logto'
    ? `logto:${principal.clientId}:${principal.subject}:${principal.organizationId ?? '-'}`
    : `machine:${principal.kind}:${principal.tenantId}:${principal.subject}`;
}
