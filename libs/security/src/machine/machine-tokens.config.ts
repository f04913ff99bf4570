import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig } from '@app/service-core';

const DEFAULT_PUBLIC_URL = 'http://localhost:3000';
const DEFAULT_MACHINE_TOKEN_CLOCK_TOLERANCE_S = 30;
const MAX_MACHINE_TOKEN_CLOCK_TOLERANCE_S = 60;

class MachineTokensEnv {
  /** The public base URL of this service: the `iss` of machine tokens and the base of the bootstrap audience. */
  @IsOptional() @IsString()
  PUBLIC_URL?: string;

  /** Leeway for exp, nbf and iat, in seconds (RFC 7519 §4.1.4: small). */
  @Type(() => Number) @IsInt() @Min(0) @Max(MAX_MACHINE_TOKEN_CLOCK_TOLERANCE_S)
  MACHINE_TOKEN_CLOCK_TOLERANCE_S = DEFAULT_MACHINE_TOKEN_CLOCK_TOLERANCE_S;
}

/** The `machine-tokens` namespace. */
export interface MachineTokensConfig {
  /** PUBLIC_URL without trailing slash; the `iss` of every machine token. */
  readonly issuer: string;
  readonly clockToleranceSeconds: number;
}

/** Parses PUBLIC_URL: an http(s) base URL without credentials, query or fragment; trailing slashes stripped. */
function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigValidationError(['PUBLIC_URL: not a URL (expected http(s)://host[:port][/path])']);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigValidationError(['PUBLIC_URL: must start with http:// or https://']);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '' || value.includes('?') || value.includes('#')) {
    throw new ConfigValidationError(['PUBLIC_URL: must be a plain base URL without credentials, query or fragment']);
  }
  return url.toString().replace(/\/+$/, '');
}

export const machineTokensConfigSchema: ConfigSchema<MachineTokensEnv, MachineTokensConfig> = {
  namespace: 'machine-tokens',
  env: MachineTokensEnv,
  map: (env, context) => {
    if (env.PUBLIC_URL === undefined) {
      if (context.production) {
        throw new ConfigValidationError([
          'PUBLIC_URL: required in production (the public base URL of this service, e.g. https://cameleer.example.com; it is the issuer of machine tokens)',
        ]);
      }
      return { issuer: DEFAULT_PUBLIC_URL, clockToleranceSeconds: env.MACHINE_TOKEN_CLOCK_TOLERANCE_S };
    }
    return { issuer: parsePublicUrl(env.PUBLIC_URL), clockToleranceSeconds: env.MACHINE_TOKEN_CLOCK_TOLERANCE_S };
  },
};

export const machineTokensConfig = registerConfig(machineTokensConfigSchema);
