import { resolve } from 'node:path';
import { IsOptional, IsString, Matches } from 'class-validator';
import { ConfigSchema, registerConfig } from '@app/service-core';
import { KID_PATTERN } from './key-files';

class KeysEnv {
  /** Holds `license/`, `machine/` and `platform/` (each `<kid>.key.pem`, `<kid>.pub.pem`, `current`) and `session/`. */
  @IsString()
  KEYS_DIR = './keys';

  /** Signs licenses with this kid instead of the one in `license/current`. */
  @IsOptional() @Matches(KID_PATTERN, { message: 'must be a kid (43-character base64url RFC 7638 thumbprint)' })
  LICENSE_SIGNING_KID?: string;

  /** Signs machine tokens with this kid instead of the one in `machine/current`. */
  @IsOptional() @Matches(KID_PATTERN, { message: 'must be a kid (43-character base64url RFC 7638 thumbprint)' })
  MACHINE_SIGNING_KID?: string;

  /** Signs identity assertions (X-Cameleer-Identity) with this kid instead of the one in `platform/current`. */
  @IsOptional() @Matches(KID_PATTERN, { message: 'must be a kid (43-character base64url RFC 7638 thumbprint)' })
  PLATFORM_SIGNING_KID?: string;
}

export interface KeysConfig {
  /** Absolute path of KEYS_DIR. */
  readonly dir: string;
  /** Development generates missing keys once; production refuses to boot without them. */
  readonly development: boolean;
  readonly signingKids: { readonly license?: string; readonly machine?: string; readonly platform?: string };
}

export const keysConfigSchema: ConfigSchema<KeysEnv, KeysConfig> = {
  namespace: 'keys',
  env: KeysEnv,
  map: (env, context) => ({
    dir: resolve(env.KEYS_DIR),
    development: context.development,
    signingKids: { license: env.LICENSE_SIGNING_KID, machine: env.MACHINE_SIGNING_KID, platform: env.PLATFORM_SIGNING_KID },
  }),
};

export const keysConfig = registerConfig(keysConfigSchema);
