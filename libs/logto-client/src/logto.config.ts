import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig } from '@app/service-core';

export const DEFAULT_MANAGEMENT_API_RESOURCE = 'https://default.logto.app/api';
export const DEFAULT_LOGTO_TIMEOUT_MS = 5000;
export const MAX_LOGTO_TIMEOUT_MS = 25_000;
export const DEFAULT_LOGTO_RETRIES = 2;

class LogtoEnv {
  /** Public base URL of the Logto tenant (issuer = `${LOGTO_ENDPOINT}/oidc`). Optional at this layer. */
  @IsOptional() @IsString()
  LOGTO_ENDPOINT?: string;

  /** Where to reach Logto from inside a private network (e.g. http://logto:3001); defaults to LOGTO_ENDPOINT. */
  @IsOptional() @IsString()
  LOGTO_INTERNAL_URL?: string;

  /** Audience of Management API tokens; fixed on Logto OSS. */
  @IsString()
  LOGTO_MANAGEMENT_API_RESOURCE = DEFAULT_MANAGEMENT_API_RESOURCE;

  /** Machine-to-machine app holding a role with the Management API `all` scope. */
  @IsOptional() @IsString()
  LOGTO_M2M_APP_ID?: string;

  @IsOptional() @IsString()
  LOGTO_M2M_APP_SECRET?: string;

  /** Per-attempt timeout of every Logto call, token requests included. */
  @Type(() => Number) @IsInt() @Min(100) @Max(MAX_LOGTO_TIMEOUT_MS)
  LOGTO_TIMEOUT_MS = DEFAULT_LOGTO_TIMEOUT_MS;

  /** Extra attempts after a network error, a timeout (idempotent calls only) or a 5xx. */
  @Type(() => Number) @IsInt() @Min(0) @Max(5)
  LOGTO_RETRIES = DEFAULT_LOGTO_RETRIES;
}

/** The `logto` namespace. Credentials and endpoint may be absent: the client then reports `configured: false`. */
export interface LogtoConfig {
  /** Public base URL, no trailing slash. */
  readonly endpoint?: string;
  /** Private-network base URL, no trailing slash; calls go here when set. */
  readonly internalUrl?: string;
  readonly managementApiResource: string;
  readonly m2mAppId?: string;
  readonly m2mAppSecret?: string;
  readonly timeoutMs: number;
  readonly retries: number;
}

function baseUrl(name: string, value: string | undefined, problems: string[]): string | undefined {
  if (value === undefined) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name}: not a URL (expected http(s)://host[:port])`);
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    problems.push(`${name}: must start with http:// or https://`);
    return undefined;
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    problems.push(`${name}: must be a plain base URL without credentials, query or fragment`);
    return undefined;
  }
  return url.toString().replace(/\/+$/, '');
}

export const logtoConfigSchema: ConfigSchema<LogtoEnv, LogtoConfig> = {
  namespace: 'logto',
  env: LogtoEnv,
  secrets: ['LOGTO_M2M_APP_SECRET'],
  map: (env) => {
    const problems: string[] = [];
    const endpoint = baseUrl('LOGTO_ENDPOINT', env.LOGTO_ENDPOINT, problems);
    const internalUrl = baseUrl('LOGTO_INTERNAL_URL', env.LOGTO_INTERNAL_URL, problems);
    if ((env.LOGTO_M2M_APP_ID === undefined) !== (env.LOGTO_M2M_APP_SECRET === undefined)) {
      problems.push('LOGTO_M2M_APP_ID, LOGTO_M2M_APP_SECRET: set both or neither');
    }
    if (problems.length > 0) {
      throw new ConfigValidationError(problems);
    }
    return {
      endpoint,
      internalUrl,
      managementApiResource: env.LOGTO_MANAGEMENT_API_RESOURCE,
      m2mAppId: env.LOGTO_M2M_APP_ID,
      m2mAppSecret: env.LOGTO_M2M_APP_SECRET,
      timeoutMs: env.LOGTO_TIMEOUT_MS,
      retries: env.LOGTO_RETRIES,
    };
  },
};

export const logtoConfig = registerConfig(logtoConfigSchema);
