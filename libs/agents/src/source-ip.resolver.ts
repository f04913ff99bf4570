import { ExecutionContext, Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AgentsConfig, agentsConfig } from './agents.config';
import { sourceIpOf } from './source-ip';

/** One resolver per Fastify instance, so two apps in one process (tests) keep their own settings. */
const resolvers = new WeakMap<object, SourceIpResolver>();

/** The client address of a request under TRUSTED_PROXIES, and the agent routes' rate-limit settings. */
@Injectable()
export class SourceIpResolver implements OnModuleInit {
  constructor(
    @Inject(agentsConfig.KEY) private readonly config: AgentsConfig,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const instance: unknown = this.adapterHost.httpAdapter?.getInstance();
    if (typeof instance === 'object' && instance !== null) {
      resolvers.set(instance, this);
    }
  }

  of(request: FastifyRequest): string | undefined {
    return sourceIpOf(request.raw.socket?.remoteAddress, request.headers['x-forwarded-for'], this.config.trustedProxies);
  }

  get rateLimit(): AgentsConfig['rateLimit'] {
    return this.config.rateLimit;
  }
}

function resolverOf(request: FastifyRequest): SourceIpResolver | undefined {
  return resolvers.get(request.server);
}

/** @Throttle options for the agent routes: per source IP (after TRUSTED_PROXIES), AGENT_RATE_LIMIT_MAX per window. */
export const agentRateLimit = {
  default: {
    limit: (context: ExecutionContext): number => resolverOf(context.switchToHttp().getRequest<FastifyRequest>())?.rateLimit.max ?? 20,
    ttl: (context: ExecutionContext): number => resolverOf(context.switchToHttp().getRequest<FastifyRequest>())?.rateLimit.windowMs ?? 60_000,
    getTracker: (request: Record<string, unknown>): string => {
      const fastifyRequest = request as unknown as FastifyRequest;
      return `agent-ip:${resolverOf(fastifyRequest)?.of(fastifyRequest) ?? fastifyRequest.ip}`;
    },
  },
};
