import { createParamDecorator, ExecutionContext, Inject, Injectable, PipeTransform } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AgentsConfig, agentsConfig } from './agents.config';
import { sourceIpOf } from './source-ip';

/**
 * The client address of a request under this app's TRUSTED_PROXIES (the rule is sourceIpOf's): what the audit
 * trail, the failure counter and the agent routes' rate limit all use. As a pipe it feeds @SourceIp().
 */
@Injectable()
export class SourceIpResolver implements PipeTransform<FastifyRequest, string | undefined> {
  constructor(@Inject(agentsConfig.KEY) private readonly config: AgentsConfig) {}

  of(request: FastifyRequest): string | undefined {
    return sourceIpOf(request.raw.socket?.remoteAddress, request.headers['x-forwarded-for'], this.config.trustedProxies);
  }

  transform(request: FastifyRequest): string | undefined {
    return this.of(request);
  }
}

const RequestItself = createParamDecorator((_data: unknown, context: ExecutionContext) => context.switchToHttp().getRequest<FastifyRequest>());

/** The handler parameter gets the request's source IP (string, or undefined when the peer is unknown). */
export const SourceIp = (): ParameterDecorator => RequestItself(undefined, SourceIpResolver);
