/**
 * What a key is for. Each purpose has its own folder and keys, so one leak does not forge or open another
 * purpose's values. `license`, `machine` and `platform` are Ed25519 signing keys (`platform`: what the platform
 * vouches to its own services with, e.g. X-Cameleer-Identity); `session` is a symmetric AES-256-GCM key that seals
 * what the edge sessions store (never published, never signs).
 */
export const SIGNING_KEY_PURPOSES = ['license', 'machine', 'platform'] as const;
export type SigningKeyPurpose = (typeof SIGNING_KEY_PURPOSES)[number];

export const SESSION_KEY_PURPOSE = 'session';

export const KEY_PURPOSES = [...SIGNING_KEY_PURPOSES, SESSION_KEY_PURPOSE] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/** The environment variable that overrides the `current` file of a signing purpose. */
export const SIGNING_KID_ENV: Readonly<Record<SigningKeyPurpose, string>> = {
  license: 'LICENSE_SIGNING_KID',
  machine: 'MACHINE_SIGNING_KID',
  platform: 'PLATFORM_SIGNING_KID',
};

export function isKeyPurpose(value: unknown): value is KeyPurpose {
  return (KEY_PURPOSES as readonly unknown[]).includes(value);
}
