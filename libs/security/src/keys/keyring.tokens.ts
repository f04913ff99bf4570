/** Injection token of the license Keyring (signs and verifies licenses; published at /.well-known/jwks.json). */
export const LICENSE_KEYRING = Symbol('LICENSE_KEYRING');

/** Injection token of the machine-token Keyring (never published). */
export const MACHINE_KEYRING = Symbol('MACHINE_KEYRING');

/** Injection token of the platform Keyring (signs X-Cameleer-Identity; published at /.well-known/platform-jwks.json). */
export const PLATFORM_KEYRING = Symbol('PLATFORM_KEYRING');
