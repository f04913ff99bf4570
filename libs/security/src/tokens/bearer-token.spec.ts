import { randomBytes } from 'node:crypto';
import { isCanonicalCompactJws, readBearerToken } from './bearer-token';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('isCanonicalCompactJws', () => {
  it('accepts a segment exactly when decoding and re-encoding it gives the same string, for every length and last character', () => {
    for (let bytes = 1; bytes <= 66; bytes++) {
      const segment = randomBytes(bytes).toString('base64url');
      for (const last of BASE64URL) {
        const candidate = `${segment.slice(0, -1)}${last}`;
        const reencodes = Buffer.from(candidate, 'base64url').toString('base64url') === candidate;
        expect({ candidate, accepted: isCanonicalCompactJws(`e30.e30.${candidate}`) }).toEqual({ candidate, accepted: reencodes });
      }
    }
  });

  it.each(['e30.e30', 'e30.e30.e30.e30', 'e30..c2ln', '.e30.c2ln', 'e30.e30.', 'e30.e30.c2ln=', 'e30.e30.c2l+', 'e30.e30.c2l/', 'e30.e30.AAAAA', 'e30.e30.c2ln '])(
    'refuses %j',
    (token) => {
      expect(isCanonicalCompactJws(token)).toBe(false);
    },
  );
});

describe('readBearerToken', () => {
  it('reads exactly "Bearer <canonical compact JWS>"', () => {
    expect(readBearerToken('Bearer e30.e30.c2ln')).toEqual({ kind: 'token', token: 'e30.e30.c2ln' });
    expect(readBearerToken(undefined)).toEqual({ kind: 'none' });
    for (const header of ['bearer e30.e30.c2ln', 'Bearer  e30.e30.c2ln', 'Bearer e30.e30.c2ln=', 'Bearer opaque-token', 'Basic e30.e30.c2ln', ['Bearer e30.e30.c2ln']]) {
      expect(readBearerToken(header)).toEqual({ kind: 'malformed' });
    }
  });
});
