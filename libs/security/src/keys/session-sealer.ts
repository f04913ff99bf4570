import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { isKid } from './key-files';
import { SessionKeyring } from './session-keys';

/** Injection token of the SessionKeyring (never published; only the SessionSealer uses it). */
export const SESSION_KEYRING = Symbol('SESSION_KEYRING');

export type SealedValueRejection = 'malformed' | 'unknown-key' | 'tampered';

/**
 * A sealed value could not be opened: not in the sealed format, sealed with a key no longer in
 * KEYS_DIR/session/, or altered (or moved to another context). Its message never contains the value.
 */
export class SealedValueRejected extends Error {
  constructor(readonly reason: SealedValueRejection) {
    super(`sealed value rejected: ${reason}`);
    this.name = 'SealedValueRejected';
  }
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
// Domain separation: a value sealed here can only be opened as a sealed session value of the same context.
const AAD_LABEL = 'cameleer sealed session value v1\0';
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes canonical base64url only (the one spelling `toString('base64url')` gives), else undefined. */
function canonicalBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) {
    return undefined;
  }
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function aad(context: string): Buffer {
  return Buffer.from(`${AAD_LABEL}${context}`, 'utf8');
}

/**
 * AES-256-GCM with the current key of KEYS_DIR/session/; opens with any key of the folder (rollover).
 * A sealed value is `v1.<kid>.<iv>.<ciphertext>.<tag>` (base64url parts, a fresh random 96-bit IV each time);
 * `context` is bound as additional authenticated data, so a value sealed for one row does not open for another.
 */
@Injectable()
export class SessionSealer {
  constructor(@Inject(SESSION_KEYRING) private readonly keys: SessionKeyring) {}

  seal(plaintext: string, context: string): string {
    const { kid, key } = this.keys.current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(context));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, kid, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The plaintext of a value seal() produced with the same context; throws SealedValueRejected otherwise. */
  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION || !isKid(parts[1] as string)) {
      throw new SealedValueRejected('malformed');
    }
    const [, kid, ivText, ciphertextText, tagText] = parts as [string, string, string, string, string];
    const iv = canonicalBase64url(ivText);
    const ciphertext = canonicalBase64url(ciphertextText);
    const tag = canonicalBase64url(tagText);
    if (iv?.length !== IV_BYTES || ciphertext === undefined || tag?.length !== TAG_BYTES) {
      throw new SealedValueRejected('malformed');
    }
    const key = this.keys.key(kid);
    if (key === undefined) {
      throw new SealedValueRejected('unknown-key');
    }
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(context));
    decipher.setAuthTag(tag);
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new SealedValueRejected('tampered');
    }
    // Sealed text was UTF-8 by construction; fatal decoding refuses anything else rather than inventing U+FFFD.
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(plaintext);
    } catch {
      throw new SealedValueRejected('tampered');
    }
  }
}
