import { ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Resolvable, ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { clientRateLimitKey } from '@app/service-core';
import { EdgeSessionsConfig, edgeSessionsConfig } from './edge-sessions.config';

const SIGN_IN_RATE_LIMITED = 'cameleer:sign-in-rate-limited';

/** A public sign-in route: throttled per client address with the sign-in budget (EDGE_SIGN_IN_RATE_LIMIT_*). */
export const SignInRateLimited = (): MethodDecorator & ClassDecorator => SetMetadata(SIGN_IN_RATE_LIMITED, true);

function resolve(value: Resolvable<number>, context: ExecutionContext): number | Promise<number> {
  return typeof value === 'function' ? value(context) : value;
}

/** What the app's throttler needs to know about the sign-in routes (as AgentRateLimit for the agent routes). */
@Injectable()
export class SignInRateLimit {
  constructor(
    @Inject(edgeSessionsConfig.KEY) private readonly config: EdgeSessionsConfig,
    private readonly reflector: Reflector,
  ) {}

  /**
   * `base`, except that on @SignInRateLimited() routes (login, callback, logout) EDGE_SIGN_IN_RATE_LIMIT_MAX per
   * EDGE_SIGN_IN_RATE_LIMIT_WINDOW_MS applies per client address (clientRateLimitKey), in buckets of their own.
   */
  appliedTo(base: ThrottlerOptions): ThrottlerOptions {
    const applies = (context: ExecutionContext): boolean =>
      this.reflector.getAllAndOverride<boolean | undefined>(SIGN_IN_RATE_LIMITED, [context.getHandler(), context.getClass()]) === true;
    return {
      ...base,
      limit: (context) => (applies(context) ? this.config.signInRateLimit.max : resolve(base.limit, context)),
      ttl: (context) => (applies(context) ? this.config.signInRateLimit.windowMs : resolve(base.ttl, context)),
      getTracker: (request, context) => (applies(context) ? `sign-in:${clientRateLimitKey(request as FastifyRequest)}` : (base.getTracker?.(request, context) ?? clientRateLimitKey(request as FastifyRequest))),
    };
  }
}
