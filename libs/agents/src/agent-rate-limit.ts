import { ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Resolvable, ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { clientRateLimitKey } from '@app/service-core';
import { AgentsConfig, agentsConfig } from './agents.config';

const AGENT_RATE_LIMITED = 'cameleer:agent-rate-limited';

/** An agent route: throttled per client address with the agents' budget (AGENT_RATE_LIMIT_*) instead of the app's. */
export const AgentRateLimited = (): MethodDecorator => SetMetadata(AGENT_RATE_LIMITED, true);

function resolve(value: Resolvable<number>, context: ExecutionContext): number | Promise<number> {
  return typeof value === 'function' ? value(context) : value;
}

/** What the app's throttler needs to know about the agent routes; the app passes its default throttler through it. */
@Injectable()
export class AgentRateLimit {
  constructor(
    @Inject(agentsConfig.KEY) private readonly config: AgentsConfig,
    private readonly reflector: Reflector,
  ) {}

  /**
   * `base`, keyed on the client address (clientRateLimitKey, the one rule every limit uses), except that on
   * @AgentRateLimited() routes AGENT_RATE_LIMIT_MAX per AGENT_RATE_LIMIT_WINDOW_MS applies, in buckets of their own.
   * The default throttler itself, not a named one beside it, so the agent routes keep the usual X-RateLimit-* and
   * Retry-After headers and are counted once.
   */
  appliedTo(base: ThrottlerOptions): ThrottlerOptions {
    const applies = (context: ExecutionContext): boolean => this.reflector.get<boolean | undefined>(AGENT_RATE_LIMITED, context.getHandler()) === true;
    return {
      ...base,
      limit: (context) => (applies(context) ? this.config.rateLimit.max : resolve(base.limit, context)),
      ttl: (context) => (applies(context) ? this.config.rateLimit.windowMs : resolve(base.ttl, context)),
      getTracker: (request, context) => {
        const key = clientRateLimitKey(request as FastifyRequest);
        return applies(context) ? `agent-ip:${key}` : key;
      },
    };
  }
}
