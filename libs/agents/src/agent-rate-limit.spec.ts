import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { loadConfig, resolveClientAddress, serviceConfigSchema } from '@app/service-core';
import { AgentRateLimit, AgentRateLimited } from './agent-rate-limit';
import { agentsConfigSchema } from './agents.config';

class Routes {
  @AgentRateLimited()
  register(): void {}

  other(): void {}
}

function contextOf(handler: () => void): ExecutionContext {
  return { getHandler: () => handler, getClass: () => Routes } as unknown as ExecutionContext;
}

const { trustedProxies } = loadConfig(serviceConfigSchema, { TRUSTED_PROXIES: '10.0.0.0/8' });

/** A request as applyHttpDefaults leaves it: its client address resolved under TRUSTED_PROXIES. */
function requestFrom(peer: string, forwardedFor?: string): FastifyRequest {
  const request = { ip: peer, raw: { socket: { remoteAddress: peer } }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } } as unknown as FastifyRequest;
  resolveClientAddress(request, trustedProxies);
  return request;
}

describe('AgentRateLimit', () => {
  const config = loadConfig(agentsConfigSchema, { AGENT_RATE_LIMIT_MAX: '7', AGENT_RATE_LIMIT_WINDOW_MS: '5000' });
  const throttler = new AgentRateLimit(config, new Reflector()).appliedTo({ name: 'default', limit: 100, ttl: 60_000 });
  const agentRoute = contextOf(Routes.prototype.register);
  const otherRoute = contextOf(Routes.prototype.other);
  const resolve = (value: typeof throttler.limit, context: ExecutionContext) => (typeof value === 'function' ? value(context) : value);

  it('gives the marked routes the agents budget, per client address behind the trusted proxies', async () => {
    expect(await resolve(throttler.limit, agentRoute)).toBe(7);
    expect(await resolve(throttler.ttl, agentRoute)).toBe(5000);
    expect(await throttler.getTracker?.(requestFrom('10.0.0.1', '203.0.113.9'), agentRoute)).toBe('agent-ip:203.0.113.9');
    expect(await throttler.getTracker?.(requestFrom('198.51.100.4', '203.0.113.9'), agentRoute)).toBe('agent-ip:198.51.100.4');
  });

  it("leaves every other route to the app's budget, keyed on the same client address", async () => {
    expect(await resolve(throttler.limit, otherRoute)).toBe(100);
    expect(await resolve(throttler.ttl, otherRoute)).toBe(60_000);
    expect(await throttler.getTracker?.(requestFrom('10.0.0.1', '203.0.113.9'), otherRoute)).toBe('203.0.113.9');
    expect(await throttler.getTracker?.(requestFrom('198.51.100.4', '203.0.113.9'), otherRoute)).toBe('198.51.100.4');
  });

  it('keys an IPv6 client on its /64', async () => {
    expect(await throttler.getTracker?.(requestFrom('2001:db8:1:2::5'), otherRoute)).toBe(await throttler.getTracker?.(requestFrom('2001:db8:1:2::9'), otherRoute));
  });

  it('rejects agents config without AGENT_RATE_LIMIT_MAX in range', () => {
    expect(() => loadConfig(agentsConfigSchema, { AGENT_RATE_LIMIT_MAX: '0' })).toThrow(/AGENT_RATE_LIMIT_MAX/);
    expect(loadConfig(agentsConfigSchema, {})).toMatchObject({ rateLimit: { max: 20, windowMs: 60_000 } });
  });
});
