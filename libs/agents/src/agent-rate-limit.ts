import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerOptions } from '@nestjs/throttler';
import { withRouteBudget } from '@app/service-core';
import { AgentsConfig, agentsConfig } from './agents.config';

const AGENT_RATE_LIMITED = 'cameleer:agent-rate-limited';

/** An agent route: throttled per client address with the agents' budget (AGENT_RATE_LIMIT_*) instead of the app's. */
export const AgentRateLimited = (): MethodDecorator => SetMetadata(AGENT_RATE_LIMITED, true);

/** What the app's throttler needs to know about the agent routes; the app passes its default throttler through it. */
@Injectable()
export class AgentRateLimit {
  constructor(
    @Inject(agentsConfig.KEY) private readonly config: AgentsConfig,
    private readonly reflector: Reflector,
  ) {}

  /** `base`, except that on @AgentRateLimited() routes AGENT_RATE_LIMIT_MAX per AGENT_RATE_LIMIT_WINDOW_MS applies (withRouteBudget). */
  appliedTo(base: ThrottlerOptions): ThrottlerOptions {
    return withRouteBudget(base, (context) => this.reflector.get<boolean | undefined>(AGENT_RATE_LIMITED, context.getHandler()) === true, this.config.rateLimit, 'agent-ip');
  }
}
