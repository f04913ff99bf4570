import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { loadConfig } from '@app/service-core';
import { AgentRateLimit, AgentRateLimited } from './agent-rate-limit';
import { agentsConfigSchema } from './agents.config';
import { SourceIpResolver } from './source-ip.resolver';

class Routes {
  @AgentRateLimited()
  register(): void {}

  other(): void {}
}

function contextOf(handler: () => void): ExecutionContext {
  return { getHandler: () => handler, getClass: () => Routes } as unknown as ExecutionContext;
}

function requestFrom(peer: string, forwardedFor?: string): FastifyRequest {
  return { ip: peer, raw: { socket: { remoteAddress: peer } }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as FastifyRequest;
}

describe('AgentRateLimit', () => {
  const config = loadConfig(agentsConfigSchema, { TRUSTED_PROXIES: '10.0.0.0/8', AGENT_RATE_LIMIT_MAX: '7', AGENT_RATE_LIMIT_WINDOW_MS: '5000' });
  const throttler = new AgentRateLimit(config, new SourceIpResolver(config), new Reflector()).appliedTo({ name: 'default', limit: 100, ttl: 60_000 });
  const agentRoute = contextOf(Routes.prototype.register);
  const otherRoute = contextOf(Routes.prototype.other);
  const resolve = (value: typeof throttler.limit, context: ExecutionContext) => (typeof value === 'function' ? value(context) : value);

  it('gives the marked routes the agents budget, per source IP behind the trusted proxies', async () => {
    expect(await resolve(throttler.limit, agentRoute)).toBe(7);
    expect(await resolve(throttler.ttl, agentRoute)).toBe(5000);
    expect(await throttler.getTracker?.(requestFrom('10.0.0.1', '203.0.113.9'), agentRoute)).toBe('agent-ip:203.0.113.9');
    expect(await throttler.getTracker?.(requestFrom('198.51.100.4', '203.0.113.9'), agentRoute)).toBe('agent-ip:198.51.100.4');
  });

  it("leaves every other route to the app's settings and the throttler's own tracker (the peer)", async () => {
    expect(await resolve(throttler.limit, otherRoute)).toBe(100);
    expect(await resolve(throttler.ttl, otherRoute)).toBe(60_000);
    expect(await throttler.getTracker?.(requestFrom('10.0.0.1', '203.0.113.9'), otherRoute)).toBe('10.0.0.1');
  });
});
