import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig } from '@app/service-core';

/** Logto generates 32-character keys (generateStandardSecret); anything much shorter is not one of its keys. */
const MIN_SIGNING_KEY_LENGTH = 16;

class LogtoWebhooksEnv {
  /**
   * The signing key of the Logto hook that calls POST /api/webhooks/logto (Logto shows it with the hook; the
   * bootstrap prints it). Unset: the route answers 404 to everything.
   */
  @IsOptional() @IsString()
  LOGTO_WEBHOOK_SIGNING_KEY?: string;

  /** During a key rotation only: the hook's previous key, still accepted beside the current one. */
  @IsOptional() @IsString()
  LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS?: string;

  /**
   * Largest webhook body accepted (413 above, before any signature work). BODY_LIMIT_BYTES still caps every body,
   * so a larger value here has no effect beyond it.
   */
  @Type(() => Number) @IsInt() @Min(1024) @Max(16 * 1024 * 1024)
  LOGTO_WEBHOOK_MAX_BODY_BYTES = 64 * 1024;

  /**
   * Webhook requests per client address per window (the route is public: its signature is its credential). Generous:
   * Logto is one address, a bulk change in Logto is a burst of deliveries, and a refused one is never retried.
   */
  @Type(() => Number) @IsInt() @Min(1) @Max(100_000)
  LOGTO_WEBHOOK_RATE_LIMIT_MAX = 1200;

  @Type(() => Number) @IsInt() @Min(1000) @Max(3_600_000)
  LOGTO_WEBHOOK_RATE_LIMIT_WINDOW_MS = 60_000;
}

/** The `logtoWebhooks` namespace: the receiver of Logto's webhook. */
export interface LogtoWebhooksConfig {
  /** Keys a delivery may be signed with, current first; empty when the receiver is not configured. */
  readonly signingKeys: readonly string[];
  readonly maxBodyBytes: number;
  readonly rateLimit: { readonly max: number; readonly windowMs: number };
}

export const logtoWebhooksConfigSchema: ConfigSchema<LogtoWebhooksEnv, LogtoWebhooksConfig> = {
  namespace: 'logtoWebhooks',
  env: LogtoWebhooksEnv,
  secrets: ['LOGTO_WEBHOOK_SIGNING_KEY', 'LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS'],
  map: (env) => {
    const problems: string[] = [];
    const current = env.LOGTO_WEBHOOK_SIGNING_KEY?.trim() || undefined;
    const previous = env.LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS?.trim() || undefined;
    if (previous !== undefined && current === undefined) {
      problems.push('LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS: only during a rotation, beside LOGTO_WEBHOOK_SIGNING_KEY (the new key)');
    }
    for (const [name, key] of [['LOGTO_WEBHOOK_SIGNING_KEY', current], ['LOGTO_WEBHOOK_SIGNING_KEY_PREVIOUS', previous]] as const) {
      if (key !== undefined && key.length < MIN_SIGNING_KEY_LENGTH) {
        problems.push(`${name}: at least ${MIN_SIGNING_KEY_LENGTH} characters (Logto's keys have 32)`);
      }
    }
    if (problems.length > 0) {
      throw new ConfigValidationError(problems);
    }
    return {
      signingKeys: [current, previous].filter((key): key is string => key !== undefined),
      maxBodyBytes: env.LOGTO_WEBHOOK_MAX_BODY_BYTES,
      rateLimit: { max: env.LOGTO_WEBHOOK_RATE_LIMIT_MAX, windowMs: env.LOGTO_WEBHOOK_RATE_LIMIT_WINDOW_MS },
    };
  },
};

export const logtoWebhooksConfig = registerConfig(logtoWebhooksConfigSchema);
