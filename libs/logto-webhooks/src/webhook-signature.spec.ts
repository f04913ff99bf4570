import { createHmac } from 'node:crypto';
import { logtoSignature, verifyLogtoSignature } from './webhook-signature';

/** Logto 1.42's sign (packages/core/src/utils/sign.ts), copied: the HMAC of JSON.stringify(payload) under the key. */
const logtoSign = (signingKey: string, payload: Record<string, unknown>): string => createHmac('sha256', signingKey).update(JSON.stringify(payload)).digest('hex');

describe('Logto webhook signature', () => {
  const key = 'Q7vUeYzT3xW9kLmN2pRsA4bC6dEfGhJk';
  const payload = { event: 'User.Deleted', createdAt: '2026-11-30T20:00:00.000Z', params: { userId: 'u1' }, data: { name: 'Zoë 🐪' }, hookId: 'h1' };
  const body = Buffer.from(JSON.stringify(payload), 'utf8');

  it('accepts what Logto signs: the HMAC of the body it sends (the same JSON.stringify text, UTF-8)', () => {
    expect(logtoSignature(key, body)).toBe(logtoSign(key, payload));
    expect(verifyLogtoSignature([key], body, logtoSign(key, payload))).toBe(true);
    expect(verifyLogtoSignature([key], body, logtoSign(key, payload).toUpperCase())).toBe(true);
  });

  it('accepts either configured key (a rotation), and only those', () => {
    expect(verifyLogtoSignature(['n'.repeat(32), key], body, logtoSign(key, payload))).toBe(true);
    expect(verifyLogtoSignature(['n'.repeat(32)], body, logtoSign(key, payload))).toBe(false);
    expect(verifyLogtoSignature([], body, logtoSign(key, payload))).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['repeated', [logtoSign(key, payload), logtoSign(key, payload)]],
    ['empty', ''],
    ['too short', logtoSign(key, payload).slice(0, 63)],
    ['not hex', 'z'.repeat(64)],
    ['prefixed', `sha256=${logtoSign(key, payload)}`],
  ])('refuses a header that is %s', (_label, header) => {
    expect(verifyLogtoSignature([key], body, header)).toBe(false);
  });

  it('refuses a body changed by one byte, or re-serialized differently', () => {
    const signature = logtoSign(key, payload);
    expect(verifyLogtoSignature([key], Buffer.from(JSON.stringify({ ...payload, hookId: 'h2' })), signature)).toBe(false);
    expect(verifyLogtoSignature([key], Buffer.from(JSON.stringify(payload, null, 1)), signature)).toBe(false);
  });
});
