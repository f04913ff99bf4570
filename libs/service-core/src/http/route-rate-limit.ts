import { ExecutionContext } from '@nestjs/common';
import { Resolvable, ThrottlerOptions } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { clientRateLimitKey } from './client-address';

export interface RouteBudget {
  readonly max: number;
  readonly windowMs: number;
}

function resolve(value: Resolvable<number>, context: ExecutionContext): number | Promise<number> {
  return typeof value === 'function' ? value(context) : value;
}

/**
 * `base`, keyed on the client address (clientRateLimitKey, the one rule every limit uses), except that the routes
 * `applies` picks get `budget`, in buckets of their own (`<bucket>:<client>`). It changes the default throttler
 * itself rather than adding a named one beside it, so those routes keep the usual X-RateLimit-* and Retry-After
 * headers and are counted once. Budgets compose: each leaves the routes it does not pick to the `base` it wraps.
 */
export function withRouteBudget(base: ThrottlerOptions, applies: (context: ExecutionContext) => boolean, budget: RouteBudget, bucket: string): ThrottlerOptions {
  return {
    ...base,
    limit: (context) => (applies(context) ? budget.max : resolve(base.limit, context)),
    ttl: (context) => (applies(context) ? budget.windowMs : resolve(base.ttl, context)),
    getTracker: (request, context) =>
      applies(context) ? `${bucket}:${clientRateLimitKey(request as FastifyRequest)}` : (base.getTracker?.(request, context) ?? clientRateLimitKey(request as FastifyRequest)),
  };
}
