import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { PUBLIC_ROUTE } from '@app/service-core';
import { LogtoTokenError, LogtoTokenVerifier, LOGTO_ACCESS_TOKEN_TYP } from '../logto/logto-token-verifier';
import { machineTokenKindOfTyp, MachineTokenError, MachineTokenService } from '../machine';
import { ACCESS_POLICY, AccessPolicy, PlatformScope, TenantScope } from './access-policy';
import { insufficientScope, routeNotDeclared, tenantNotFound, unauthorized } from './auth-errors';
import { peekJwtHeader, readBearerToken } from './bearer-token';
import { hasPlatformScope, isOperator, LogtoPrincipal, MachinePrincipal, Principal } from './principal';
import { attachPrincipal, attachTenantBinding } from './request-principal';
import { TENANT_ORGANIZATIONS, TenantOrganizations } from './tenant-binding';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The one global guard: a route is callable only as its policy says (@Public, @Authorize,
 * @Authenticated, @MachineAuth); a route that says nothing is denied. A bearer token is routed to
 * exactly one verifier by its header `typ`, so a machine token never reaches the Logto verifier
 * and a Logto token never reaches the machine one.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly logto: LogtoTokenVerifier,
    private readonly machine: MachineTokenService,
    @Optional() @Inject(TENANT_ORGANIZATIONS) private readonly tenants?: TenantOrganizations,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true) {
      return true;
    }
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, targets);
    if (policy === undefined) {
      throw routeNotDeclared();
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticate(request.headers.authorization, policy);
    attachPrincipal(request, principal);
    if (principal.scheme === 'logto' && policy.scheme === 'logto') {
      await this.authorize(request, principal, policy);
    }
    return true;
  }

  private async authenticate(authorization: string | string[] | undefined, policy: AccessPolicy): Promise<Principal> {
    const bearer = readBearerToken(authorization);
    if (bearer.kind === 'none') {
      throw unauthorized('This call needs a bearer token.', false);
    }
    if (bearer.kind === 'malformed') {
      throw unauthorized('The Authorization header must be exactly "Bearer <token>".', true);
    }
    const typ = peekJwtHeader(bearer.token)?.typ;
    if (policy.scheme === 'logto') {
      if (typ !== LOGTO_ACCESS_TOKEN_TYP) {
        throw unauthorized('This call needs a Logto access token for this API.', true);
      }
      try {
        return await this.logto.verify(bearer.token);
      } catch (error) {
        throw rejected(error);
      }
    }
    const kind = machineTokenKindOfTyp(typeof typ === 'string' ? typ : undefined);
    if (kind === undefined || !policy.kinds.includes(kind)) {
      throw unauthorized('This call needs a machine token of another kind.', true);
    }
    try {
      const verified = await this.machine.verify(kind, bearer.token);
      const principal: MachinePrincipal = {
        scheme: 'machine',
        kind,
        subject: verified.subject,
        tenantId: verified.tenantId,
        tokenId: verified.tokenId,
        expiresAt: verified.expiresAt,
      };
      return principal;
    } catch (error) {
      throw rejected(error);
    }
  }

  /** Operators by platform scope; otherwise the caller must be bound to the path's tenant, and only then is told about scopes. */
  private async authorize(
    request: FastifyRequest,
    principal: LogtoPrincipal,
    policy: { platform?: PlatformScope; tenant?: TenantScope; tenantParam?: string },
  ): Promise<void> {
    const { platform, tenant } = policy;
    if (platform !== undefined && hasPlatformScope(principal, platform)) {
      return;
    }
    if (tenant === undefined) {
      if (platform !== undefined) {
        throw insufficientScope(platform);
      }
      return;
    }
    if (isOperator(principal)) {
      throw insufficientScope(platform ?? tenant);
    }
    const tenantId = (request.params as Record<string, string | undefined>)[policy.tenantParam ?? 'id'];
    const organizationId = tenantId !== undefined && UUID.test(tenantId) ? await this.tenants?.organizationOf(tenantId) : undefined;
    if (tenantId === undefined || organizationId === undefined || principal.organizationId !== organizationId) {
      throw tenantNotFound();
    }
    if (!principal.scopes.has(tenant)) {
      throw insufficientScope(tenant);
    }
    attachTenantBinding(request, { tenantId, organizationId });
  }
}

function rejected(error: unknown): Error {
  if (error instanceof LogtoTokenError || error instanceof MachineTokenError) {
    return unauthorized('The bearer token is not valid here.', true);
  }
  return error instanceof Error ? error : new Error(String(error));
}
