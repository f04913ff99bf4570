import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig } from '@app/service-core';

const SUPPORTED_ALGORITHMS = ['ES384', 'ES256', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;
export type LogtoAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

class LogtoAuthEnv {
  /** Logto's public base URL; the issuer is `${LOGTO_ENDPOINT}/oidc`. Required in production. */
  @IsOptional() @IsString()
  LOGTO_ENDPOINT?: string;

  /** Where to fetch JWKS (and call Logto) inside a private network; the issuer stays the public one. */
  @IsOptional() @IsString()
  LOGTO_INTERNAL_URL?: string;

  /** This API's resource indicator in Logto: the `aud` of every token we accept. Required in production. */
  @IsOptional() @IsString()
  LOGTO_API_RESOURCE?: string;

  /** Comma-separated allowlist; ES384 is Logto's default, RS256 after rotating to RSA keys. */
  @IsString()
  LOGTO_TOKEN_ALGORITHMS = 'ES384';

  @Type(() => Number) @IsInt() @Min(0) @Max(60)
  LOGTO_CLOCK_TOLERANCE_S = 30;

  /** How often the key set is refreshed in the background (the last good set is kept through JWKS outages). */
  @Type(() => Number) @IsInt() @Min(1000)
  LOGTO_JWKS_REFRESH_MS = 300_000;

  /** Least time between two fetches triggered by unknown `kid`s (a key rotation): a few seconds at most. */
  @Type(() => Number) @IsInt() @Min(100) @Max(10_000)
  LOGTO_JWKS_REFETCH_COOLDOWN_MS = 2_000;
}

export interface LogtoAuthConfig {
  /** Undefined when no Logto is configured (outside production): every Logto token is then refused. */
  readonly issuer?: string;
  readonly jwksUri?: string;
  readonly audience?: string;
  readonly algorithms: readonly LogtoAlgorithm[];
  readonly clockToleranceSeconds: number;
  readonly jwksRefreshMs: number;
  readonly jwksRefetchCooldownMs: number;
}

function baseUrl(name: string, value: string, problems: string[]): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      problems.push(`${name}: must be an http(s) URL`);
    }
  } catch {
    problems.push(`${name}: not a URL`);
  }
  return value.replace(/\/+$/, '');
}

export const logtoAuthConfigSchema: ConfigSchema<LogtoAuthEnv, LogtoAuthConfig> = {
  namespace: 'logto-auth',
  env: LogtoAuthEnv,
  map: (env, context) => {
    const problems: string[] = [];
    const algorithms = env.LOGTO_TOKEN_ALGORITHMS.split(',').map((alg) => alg.trim());
    const unsupported = algorithms.filter((alg) => !(SUPPORTED_ALGORITHMS as readonly string[]).includes(alg));
    if (unsupported.length > 0 || algorithms.length === 0) {
      problems.push(`LOGTO_TOKEN_ALGORITHMS: unsupported ${unsupported.join(', ')} (allowed: ${SUPPORTED_ALGORITHMS.join(', ')}; never HS* or none)`);
    }
    if (context.production && env.LOGTO_ENDPOINT === undefined) {
      problems.push('LOGTO_ENDPOINT: required (the public base URL of Logto)');
    }
    if (context.production && env.LOGTO_API_RESOURCE === undefined) {
      problems.push("LOGTO_API_RESOURCE: required (this API's resource indicator in Logto)");
    }
    const endpoint = env.LOGTO_ENDPOINT === undefined ? undefined : baseUrl('LOGTO_ENDPOINT', env.LOGTO_ENDPOINT, problems);
    const internal = env.LOGTO_INTERNAL_URL === undefined ? undefined : baseUrl('LOGTO_INTERNAL_URL', env.LOGTO_INTERNAL_URL, problems);
    if (problems.length > 0) {
      throw new ConfigValidationError(problems);
    }
    const configured = endpoint !== undefined && env.LOGTO_API_RESOURCE !== undefined;
    return {
      issuer: configured ? `${endpoint}/oidc` : undefined,
      jwksUri: configured ? `${internal ?? endpoint}/oidc/jwks` : undefined,
      audience: configured ? env.LOGTO_API_RESOURCE : undefined,
      algorithms: algorithms as LogtoAlgorithm[],
      clockToleranceSeconds: env.LOGTO_CLOCK_TOLERANCE_S,
      jwksRefreshMs: env.LOGTO_JWKS_REFRESH_MS,
      jwksRefetchCooldownMs: env.LOGTO_JWKS_REFETCH_COOLDOWN_MS,
    };
  },
};

export const logtoAuthConfig = registerConfig(logtoAuthConfigSchema);
