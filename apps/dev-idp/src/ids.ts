import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

const randomId = (length: number): string =>
  Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');

/** Logto's `generateStandardId`: 21 chars of [0-9a-z] (apps, roles, scopes, resources). */
export const generateStandardId = (): string => randomId(21);

/** Logto's `generateStandardShortId`: 12 chars of [0-9a-z] (users, organizations). */
export const generateStandardShortId = (): string => randomId(12);

export const generateSecret = (): string => randomId(32);
