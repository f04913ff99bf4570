import { toProblem } from '../http/to-problem';
import { IdempotencyError } from './idempotency-errors';
import { canonicalJson, readIdempotencyKey, requestFingerprint } from './idempotency-key';

describe('Idempotency-Key', () => {
  it('accepts 1–255 visible ASCII characters and ignores an absent header', () => {
    expect(readIdempotencyKey(undefined)).toBeUndefined();
    expect(readIdempotencyKey('a')).toBe('a');
    expect(readIdempotencyKey('k'.repeat(255))).toHaveLength(255);
    expect(readIdempotencyKey('0b9e-UUID:with/symbols!~')).toBe('0b9e-UUID:with/symbols!~');
  });

  it.each([['empty', ''], ['too long', 'k'.repeat(256)], ['space', 'a b'], ['tab', 'a\tb'], ['non-ASCII', 'clé'], ['repeated', ['a', 'b']]])(
    'refuses a %s key with 400 INVALID_IDEMPOTENCY_KEY',
    (_label, header) => {
      expect(() => readIdempotencyKey(header)).toThrow(IdempotencyError);
      try {
        readIdempotencyKey(header);
      } catch (error) {
        expect(toProblem(error)).toMatchObject({ status: 400, code: 'INVALID_IDEMPOTENCY_KEY' });
      }
    },
  );

  it('fingerprints requests independently of key order, but not of values or the query', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
    expect(requestFingerprint('', { slug: 'a', name: 'A' })).toBe(requestFingerprint('', { name: 'A', slug: 'a' }));
    expect(requestFingerprint('', { slug: 'a' })).not.toBe(requestFingerprint('', { slug: 'b' }));
    expect(requestFingerprint('x=1', { slug: 'a' })).not.toBe(requestFingerprint('', { slug: 'a' }));
    expect(requestFingerprint('', undefined)).toBe(requestFingerprint('', null));
  });
});
