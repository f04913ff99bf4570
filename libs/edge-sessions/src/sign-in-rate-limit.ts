import { ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerOptions } from '@nestjs/throttler';
import { withRouteBudget } from '@app/service-core';
import { EdgeSessionsConfig, edgeSessionsConfig } from './edge-sessions.config';

const SIGN_IN_RATE_LIMITED = 'cameleer:sign-in-rate-limited';

/** A public sign-in route: throttled per client address with the sign-in budget (EDGE_SIGN_IN_RATE_LIMIT_*). */
export const SignInRateLimited = (): MethodDecorator & ClassDecorator => SetMetadata(SIGN_IN_RATE_LIMITED, true);

/** What the app's throttler needs to know about the sign-in routes (as AgentRateLimit for the agent routes). */
@Injectable()
export class SignInRateLimit {
  constructor(
    @Inject(edgeSessionsConfig.KEY) private readonly config: EdgeSessionsConfig,
    private readonly reflector: Reflector,
  ) {}

  /**
   * `base`, except that on @SignInRateLimited() routes (login, callback, logout) EDGE_SIGN_IN_RATE_LIMIT_MAX per
   * EDGE_SIGN_IN_RATE_LIMIT_WINDOW_MS applies (withRouteBudget).
   */
  appliedTo(base: ThrottlerOptions): ThrottlerOptions {
    const applies = (context: ExecutionContext): boolean =>
      this.reflector.getAllAndOverride<boolean | undefined>(SIGN_IN_RATE_LIMITED, [context.getHandler(), context.getClass()]) === true;
    return withRouteBudget(base, applies, this.config.signInRateLimit, 'sign-in');
  }
}
