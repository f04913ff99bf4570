import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Logto puts its signature in (packages/core/src/libraries/hook/utils.ts, sendWebhookRequest). */
export const LOGTO_SIGNATURE_HEADER = 'logto-signature-sha-256';

const HEX_SHA256 = /^[0-9a-f]{64}$/i;

/**
 * Logto's signature of a delivery: the lowercase hex HMAC-SHA256 of the body under the hook's signing key (Logto
 * 1.42, packages/core/src/utils/sign.ts: `createHmac('sha256', signingKey).update(JSON.stringify(payload))`; ky then
 * sends that same JSON.stringify text as the body, so the HMAC of the raw bytes is the same thing).
 */
export function logtoSignature(signingKey: string, body: Buffer | string): string {
  return createHmac('sha256', signingKey).update(body).digest('hex');
}

/**
 * Whether `header` is the signature of `body` under one of `keys`. Constant-time per key, and every key is tried
 * whatever the outcome, so timing tells neither how much matched nor which key did.
 */
export function verifyLogtoSignature(keys: readonly string[], body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !HEX_SHA256.test(header)) {
    return false;
  }
  const presented = Buffer.from(header, 'hex');
  let matched = false;
  for (const key of keys) {
    const expected = createHmac('sha256', key).update(body).digest();
    matched = timingSafeEqual(expected, presented) || matched;
  }
  return matched;
}
