import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

// TEMPORARY stand-in for @app/security's SessionSealer (the `keys` helper's, design doc issue 15): same name and
// signature. It seals with one random key per process, which every app instance in that process (tests) shares;
// the lead deletes this file at merge and imports SessionSealer from @app/security instead.
const PROCESS_KEY = randomBytes(32);
const VERSION = 'v0';

/** Refusal to open a sealed value: tampered, moved to another context, or sealed with an unknown key. */
export class SealedValueRejected extends Error {}

@Injectable()
export class SessionSealer {
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', PROCESS_KEY, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  open(sealed: string, context: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== VERSION || iv === undefined || body === undefined || tag === undefined) {
      throw new SealedValueRejected('not a sealed value');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', PROCESS_KEY, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SealedValueRejected('sealed value rejected');
    }
  }
}
