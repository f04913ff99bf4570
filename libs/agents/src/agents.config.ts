import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig } from '@app/service-core';
import { parseTrustedProxies, TrustedProxies } from './source-ip';

class AgentsEnv {
  /**
   * Comma-separated IPs or CIDRs of the reverse proxies in front of this API (e.g. Traefik). Only when the direct
   * peer is one of them is X-Forwarded-For read; empty = the peer address is the source IP.
   */
  @IsOptional() @IsString()
  TRUSTED_PROXIES?: string;

  /** Registrations / token requests per source IP and window. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000)
  AGENT_RATE_LIMIT_MAX = 20;

  @Type(() => Number) @IsInt() @Min(1000) @Max(3_600_000)
  AGENT_RATE_LIMIT_WINDOW_MS = 60_000;
}

/** The `agents` namespace. */
export interface AgentsConfig {
  readonly trustedProxies: TrustedProxies;
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
}

export const agentsConfigSchema: ConfigSchema<AgentsEnv, AgentsConfig> = {
  namespace: 'agents',
  env: AgentsEnv,
  map: (env) => {
    const parsed = parseTrustedProxies(env.TRUSTED_PROXIES ?? '');
    if (parsed.invalid.length > 0) {
      throw new ConfigValidationError([`TRUSTED_PROXIES: not an IP address or CIDR: ${parsed.invalid.join(', ')}`]);
    }
    return {
      trustedProxies: parsed.proxies,
      rateLimit: { max: env.AGENT_RATE_LIMIT_MAX, windowMs: env.AGENT_RATE_LIMIT_WINDOW_MS },
    };
  },
};

export const agentsConfig = registerConfig(agentsConfigSchema);
