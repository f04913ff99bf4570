import { resolve } from 'node:path';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig } from '@app/service-core';
import { loadTierCatalog, MAX_GRACE_DAYS, TierCatalog, TierCatalogError } from './tiers/tier-catalog';

export const DEFAULT_LICENSE_ISSUER = 'https://cameleer.local';
export const DEFAULT_LICENSE_AUDIENCE = 'cameleer3-server';
const MIN_TOKEN_TTL_SECONDS = 300;
const MAX_TOKEN_TTL_SECONDS = 366 * 86_400;
const DURATION = /^(\d{1,9})([smhd]?)$/;

class LicensingEnv {
  /** `iss` of license tokens (required in production; https://cameleer.local otherwise). */
  @IsOptional() @IsString()
  LICENSE_ISSUER?: string;

  /** `aud` of license tokens: the service that verifies them. */
  @IsString() @Matches(/^\S{1,200}$/, { message: 'must be 1-200 characters without spaces' })
  LICENSE_AUDIENCE = DEFAULT_LICENSE_AUDIENCE;

  /** Refresh horizon of a signed token (`exp`): seconds, or a number with s/m/h/d (e.g. 30d). */
  @IsString() @Matches(DURATION, { message: 'must be a duration: seconds, or a number with s, m, h or d (e.g. 30d)' })
  LICENSE_TOKEN_TTL = '30d';

  /** A license is EXPIRING this many days before it ends. */
  @Type(() => Number) @IsInt() @Min(0) @Max(365)
  LICENSE_EXPIRY_WARNING_DAYS = 30;

  /** Grace after the end of a license, for tiers whose catalog entry sets none. */
  @Type(() => Number) @IsInt() @Min(0) @Max(MAX_GRACE_DAYS)
  LICENSE_DEFAULT_GRACE_DAYS = 14;

  /** The tier catalog (YAML). */
  @IsString()
  TIERS_FILE = 'config/tiers.yaml';
}

/** The `licensing` namespace. */
export interface LicensingConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly tokenTtlSeconds: number;
  readonly expiryWarningDays: number;
  readonly defaultGraceDays: number;
  /** Absolute path of TIERS_FILE. */
  readonly tiersFile: string;
  /** The validated catalog: a bad catalog fails configuration, so the boot stops before anything listens. */
  readonly catalog: TierCatalog;
}

/** `30d`, `12h`, `90m`, `3600s` or `3600` → seconds. */
export function parseDurationSeconds(value: string): number | undefined {
  const match = DURATION.exec(value.trim());
  if (match === null) {
    return undefined;
  }
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

function parseIssuer(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigValidationError(['LICENSE_ISSUER: not a URL (expected https://host[/path])']);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConfigValidationError(['LICENSE_ISSUER: must be a plain http(s) URL without credentials, query or fragment']);
  }
  // Verifiers compare `iss` as a string: keep exactly what the operator wrote, minus trailing slashes.
  return value.trim().replace(/\/+$/, '');
}

export const licensingConfigSchema: ConfigSchema<LicensingEnv, LicensingConfig> = {
  namespace: 'licensing',
  env: LicensingEnv,
  map: (env, context) => {
    const problems: string[] = [];
    let issuer = DEFAULT_LICENSE_ISSUER;
    if (env.LICENSE_ISSUER === undefined) {
      if (context.production) {
        problems.push('LICENSE_ISSUER: required in production (the `iss` of license tokens, e.g. https://cameleer.example.com; verifiers pin it)');
      }
    } else {
      try {
        issuer = parseIssuer(env.LICENSE_ISSUER);
      } catch (error) {
        problems.push(...(error instanceof ConfigValidationError ? error.problems : [String(error)]));
      }
    }
    const tokenTtlSeconds = parseDurationSeconds(env.LICENSE_TOKEN_TTL) ?? 0;
    if (tokenTtlSeconds < MIN_TOKEN_TTL_SECONDS || tokenTtlSeconds > MAX_TOKEN_TTL_SECONDS) {
      problems.push(`LICENSE_TOKEN_TTL: must be from ${MIN_TOKEN_TTL_SECONDS} seconds to 366 days, not ${env.LICENSE_TOKEN_TTL}`);
    }
    const tiersFile = resolve(env.TIERS_FILE);
    let catalog: TierCatalog | undefined;
    try {
      catalog = loadTierCatalog(tiersFile);
    } catch (error) {
      if (!(error instanceof TierCatalogError)) {
        throw error;
      }
      problems.push(...error.problems.map((problem) => `TIERS_FILE (${tiersFile}): ${problem}`));
    }
    if (problems.length > 0 || catalog === undefined) {
      throw new ConfigValidationError(problems);
    }
    return {
      issuer,
      audience: env.LICENSE_AUDIENCE,
      tokenTtlSeconds,
      expiryWarningDays: env.LICENSE_EXPIRY_WARNING_DAYS,
      defaultGraceDays: env.LICENSE_DEFAULT_GRACE_DAYS,
      tiersFile,
      catalog,
    };
  },
};

export const licensingConfig = registerConfig(licensingConfigSchema);
