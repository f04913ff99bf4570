import { ConfigValidationError, loadConfig } from '@app/service-core';
import { logtoWebhooksConfigSchema } from './logto-webhooks.config';

describe('logtoWebhooks config', () => {
  const current = 'c'.repeat(32);
  const previous = 'p'.repeat(32);

  it('defaults: no key (the receiver accepts nothing), 64 KiB, 1200 per minute', () => {
    expect(loadConfig(logtoWebhooksConfigSchema, {})).toEqual({ signingKeys: [], maxBodyBytes: 65536, rateLimit: { max: 1200, windowMs: 60_000 } });
  });

  it('the current key first, then the previous one during a rotation', () => {
    expect(loadConfig(logtoWebhooksConfigSchema, { LOGTO_WEBHOOK_SIGNING_KEY: current }).signingKeys).toEqual([current]);
    expect(loadConfig(logtoWebhooksConfigSchema, { LOGTO_WEBHOOK_SIGNING_KEY: current, LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS: previous }).signingKeys).toEqual([current, previous]);
  });

  it.each([
    ['a previous key without a current one', { LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS: previous }],
    ['a key shorter than 16 characters', { LOGTO_WEBHOOK_SIGNING_KEY: 'short' }],
    ['a body limit under 1 KiB', { LOGTO_WEBHOOK_MAX_BODY_BYTES: '100' }],
    ['a rate limit of 0', { LOGTO_WEBHOOK_RATE_LIMIT_MAX: '0' }],
  ])('refuses %s', (_label, env) => {
    expect(() => loadConfig(logtoWebhooksConfigSchema, env)).toThrow(ConfigValidationError);
  });
});
