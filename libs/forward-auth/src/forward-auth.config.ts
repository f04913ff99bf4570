import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig } from '@app/service-core';

class ForwardAuthEnv {
  /** Tenants are `<slug>.${TENANT_BASE_DOMAIN}` (e.g. cameleer.example → acme.cameleer.example). */
  @IsOptional() @IsString()
  TENANT_BASE_DOMAIN?: string;

  /** A Docker install with one tenant: without TENANT_BASE_DOMAIN every host maps to this tenant. */
  @IsOptional() @IsString()
  DEFAULT_TENANT_SLUG?: string;

  /** Verified tokens kept in memory (by SHA-256 of the token), at most this many. */
  @Type(() => Number) @IsInt() @Min(0) @Max(1_000_000)
  FORWARD_AUTH_TOKEN_CACHE_MAX = 10_000;

  /**
   * A dedicated internal port for Traefik's forwardAuth (bare node:http, no framework pipeline).
   * Unset: verify is served only on the main port, at the same path.
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(65535)
  FORWARD_AUTH_PORT?: number;

  @IsString()
  FORWARD_AUTH_HOST = '0.0.0.0';

  /** Hard TTL of every cache entry, so a lost notification cannot keep a stale decision alive. */
  @Type(() => Number) @IsInt() @Min(0) @Max(300_000)
  FORWARD_AUTH_CACHE_TTL_MS = 30_000;

  /** How long "no tenant has this slug" is remembered (a tenant created meanwhile waits at most this long). */
  @Type(() => Number) @IsInt() @Min(0) @Max(60_000)
  FORWARD_AUTH_NO_TENANT_TTL_MS = 5_000;

  /** Per caller and minute: lookups of slugs that turn out to be no tenant; beyond it, 429 without a query. */
  @Type(() => Number) @IsInt() @Min(1) @Max(10_000)
  FORWARD_AUTH_UNKNOWN_TENANTS_PER_MINUTE = 30;
}

export interface ForwardAuthConfig {
  readonly tenantBaseDomain?: string;
  readonly defaultTenantSlug?: string;
  readonly tokenCacheMax: number;
  readonly cacheTtlMs: number;
  readonly noTenantTtlMs: number;
  readonly unknownTenantsPerMinute: number;
  readonly port?: number;
  readonly host: string;
}

const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export const forwardAuthConfigSchema: ConfigSchema<ForwardAuthEnv, ForwardAuthConfig> = {
  namespace: 'forward-auth',
  env: ForwardAuthEnv,
  map: (env) => {
    const base = env.TENANT_BASE_DOMAIN?.toLowerCase().replace(/\.$/, '');
    if (base !== undefined && !HOST.test(base)) {
      throw new ConfigValidationError(['TENANT_BASE_DOMAIN: not a domain name (e.g. cameleer.example.com)']);
    }
    return {
      tenantBaseDomain: base,
      defaultTenantSlug: env.DEFAULT_TENANT_SLUG?.toLowerCase(),
      tokenCacheMax: env.FORWARD_AUTH_TOKEN_CACHE_MAX,
      cacheTtlMs: env.FORWARD_AUTH_CACHE_TTL_MS,
      noTenantTtlMs: env.FORWARD_AUTH_NO_TENANT_TTL_MS,
      unknownTenantsPerMinute: env.FORWARD_AUTH_UNKNOWN_TENANTS_PER_MINUTE,
      port: env.FORWARD_AUTH_PORT,
      host: env.FORWARD_AUTH_HOST,
    };
  },
};

export const forwardAuthConfig = registerConfig(forwardAuthConfigSchema);
