import { ConfigValidationError, loadConfig } from '@app/service-core';
import { backoffMs, MAX_BACKOFF_MS } from './event-delivery.worker';
import { eventsConfigSchema } from './events.config';

describe('event feed configuration and retry schedule', () => {
  it('defaults to secure targets, bounded concurrency and a week of retention', () => {
    expect(loadConfig(eventsConfigSchema, {})).toEqual({
      allowInsecureTargets: false,
      deliveryTimeoutMs: 10_000,
      concurrency: 4,
      maxAttempts: 200,
      retryBaseMs: 1000,
      pollMs: 500,
      retentionDays: 7,
    });
  });

  it('refuses insecure webhook targets in production, and out-of-range numbers', () => {
    expect(() => loadConfig(eventsConfigSchema, { NODE_ENV: 'production', EVENTS_ALLOW_INSECURE_TARGETS: 'true' })).toThrow(ConfigValidationError);
    expect(loadConfig(eventsConfigSchema, { NODE_ENV: 'test', EVENTS_ALLOW_INSECURE_TARGETS: 'true' }).allowInsecureTargets).toBe(true);
    for (const env of [{ EVENTS_DELIVERY_CONCURRENCY: '0' }, { EVENTS_DELIVERY_TIMEOUT_MS: '600000' }, { EVENTS_MAX_ATTEMPTS: 'many' }]) {
      expect(() => loadConfig(eventsConfigSchema, env)).toThrow(ConfigValidationError);
    }
  });

  it('doubles the delay from the base and never waits more than 60 s', () => {
    expect([1, 2, 3, 4].map((attempts) => backoffMs(attempts, 1000))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffMs(7, 1000)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(10_000, 1000)).toBe(60_000);
  });
});
