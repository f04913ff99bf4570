import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { ConfigSchema, registerConfig } from '@app/service-core';

const DEFAULT_RETENTION_S = 86_400;
// Logto's default access-token TTL (an API resource's "token expiration time", 3600 s): a revocation forgotten
// sooner would let a still-valid token of a removed member back in.
const MIN_RETENTION_S = 3_600;
const MAX_RETENTION_S = 30 * 86_400;
const DEFAULT_CLOCK_SKEW_S = 2;
const MAX_CLOCK_SKEW_S = 30;

class RevocationsEnv {
  /**
   * How long a revocation is kept, in seconds: it must outlive the longest access-token TTL configured in Logto for
   * this API's resource (Logto's default 3600 s), since only a token issued before it is refused.
   */
  @Type(() => Number) @IsInt() @Min(MIN_RETENTION_S) @Max(MAX_RETENTION_S)
  REVOCATION_RETENTION_SECONDS = DEFAULT_RETENTION_S;

  /**
   * How far Logto's clock may run ahead of ours, in seconds, when placing a token's `iat` against a revocation: a
   * token stamped up to this long after a revocation is refused too (see RevocationIndex.refuses for the trade-off).
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(MAX_CLOCK_SKEW_S)
  REVOCATION_CLOCK_SKEW_SECONDS = DEFAULT_CLOCK_SKEW_S;
}

/** The `revocations` namespace. */
export interface RevocationsConfig {
  readonly retentionSeconds: number;
  readonly clockSkewSeconds: number;
}

export const revocationsConfigSchema: ConfigSchema<RevocationsEnv, RevocationsConfig> = {
  namespace: 'revocations',
  env: RevocationsEnv,
  map: (env) => ({ retentionSeconds: env.REVOCATION_RETENTION_SECONDS, clockSkewSeconds: env.REVOCATION_CLOCK_SKEW_SECONDS }),
};

export const revocationsConfig = registerConfig(revocationsConfigSchema);
