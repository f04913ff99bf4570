import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { isUuid, PUBLIC_ROUTE } from '@app/service-core';
import { TokenVerifier } from '../tokens/token-verifier';
import { ACCESS_POLICY, AccessPolicy } from './access-policy';
import { evaluateAccess, requirementOf } from './evaluate-access';
import { attachPrincipal } from './request-principal';
import { securityErrorFor } from './security-errors';
import { TENANT_ACCESS_DIRECTORY, TenantAccessDirectory, TenantAccessFacts } from './tenant-access';

/**
 * The one global guard: a route is callable only as its policy says (@Public, @Authorize,
 * @Authenticated, @MachineAuth), decided by evaluateAccess; a route that says nothing is denied.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: TokenVerifier,
    @Inject(TENANT_ACCESS_DIRECTORY) private readonly tenants: TenantAccessDirectory,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE, targets) === true) {
      return true;
    }
    const policy = this.reflector.getAllAndOverride<AccessPolicy | undefined>(ACCESS_POLICY, targets);
    if (policy === undefined) {
      throw securityErrorFor({ allow: false, reason: 'not_declared' });
    }
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const requirement = requirementOf(policy);
    const principal = await this.tokens.verify(this.tokens.bearerOf(request.headers.authorization), requirement);
    attachPrincipal(request, principal);
    const tenant = requirement.tenant === undefined || policy.scheme !== 'logto' ? undefined : await this.tenantOf(request, policy.tenantParam);
    const verdict = evaluateAccess(principal, requirement, tenant);
    if (!verdict.allow) {
      throw securityErrorFor(verdict);
    }
    return true;
  }

  /** The path's tenant (param `id` unless the policy names another); undefined when there is none. */
  private async tenantOf(request: FastifyRequest, tenantParam = 'id'): Promise<TenantAccessFacts | undefined> {
    const tenantId = (request.params as Record<string, string | undefined>)[tenantParam];
    return tenantId !== undefined && isUuid(tenantId) ? this.tenants.byId(tenantId) : undefined;
  }
}
