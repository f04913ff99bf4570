/** What a signing key is for. Each purpose has its own folder and keys, so one leak does not forge the other. */
export const KEY_PURPOSES = ['license', 'machine'] as const;
export type KeyPurpose = (typeof KEY_PURPOSES)[number];

/** The environment variable that overrides the `current` file of a purpose. */
export const SIGNING_KID_ENV: Readonly<Record<KeyPurpose, string>> = {
  license: 'LICENSE_SIGNING_KID',
  machine: 'MACHINE_SIGNING_KID',
};

export function isKeyPurpose(value: unknown): value is KeyPurpose {
  return (KEY_PURPOSES as readonly unknown[]).includes(value);
}
