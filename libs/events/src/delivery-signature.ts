import { sign } from 'node:crypto';
import { Keyring } from '@app/security';

/** The header every webhook delivery carries; docs/event-feed.md says how a receiver verifies it. */
export const SIGNATURE_HEADER = 'x-cameleer-signature';

/**
 * `t=<unix seconds>,kid=<kid>,sig=<base64url Ed25519 signature over "<t>.<raw body>">`, signed with the platform
 * key (verifiable against /.well-known/platform-jwks.json). The time is signed so a receiver can refuse old replays.
 */
export function deliverySignature(keyring: Keyring, body: string, now: Date = new Date()): string {
  const t = Math.floor(now.getTime() / 1000);
  const { kid, privateKey } = keyring.current;
  const sig = sign(null, Buffer.from(`${t}.${body}`, 'utf8'), privateKey).toString('base64url');
  return `t=${t},kid=${kid},sig=${sig}`;
}
