import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { ConfigSchema, registerConfig } from '@app/service-core';

class AgentsEnv {
  /** Registrations / token requests per client address (TRUSTED_PROXIES, service config) and window. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000)
  AGENT_RATE_LIMIT_MAX = 20;

  @Type(() => Number) @IsInt() @Min(1000) @Max(3_600_000)
  AGENT_RATE_LIMIT_WINDOW_MS = 60_000;
}

/** The `agents` namespace. */
export interface AgentsConfig {
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
}

export const agentsConfigSchema: ConfigSchema<AgentsEnv, AgentsConfig> = {
  namespace: 'agents',
  env: AgentsEnv,
  map: (env) => ({ rateLimit: { max: env.AGENT_RATE_LIMIT_MAX, windowMs: env.AGENT_RATE_LIMIT_WINDOW_MS } }),
};

export const agentsConfig = registerConfig(agentsConfigSchema);
