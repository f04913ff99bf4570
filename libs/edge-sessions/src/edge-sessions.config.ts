import { Type } from 'class-transformer';
import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig, ToBoolean } from '@app/service-core';

// The duration syntax of LICENSE_TOKEN_TTL (licensing config): seconds, or a number with s, m, h or d.
const DURATION = /^(\d{1,9})([smhd]?)$/;
const DURATION_MESSAGE = 'must be a duration: seconds, or a number with s, m, h or d (e.g. 8h)';
const UNIT_MS: Readonly<Record<string, number>> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const HOST = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const MIN_IDLE_TTL_MS = 5 * 60_000;
const MAX_TTL_LIMIT_MS = 90 * 86_400_000;

class EdgeSessionsEnv {
  /** The Logto "Traditional web" application browsers sign in with (npm run logto:bootstrap prints it). */
  @IsOptional() @IsString()
  LOGTO_EDGE_APP_ID?: string;

  @IsOptional() @IsString()
  LOGTO_EDGE_APP_SECRET?: string;

  /** Tenants are `<slug>.${TENANT_BASE_DOMAIN}`; the session cookie is set for that domain (read by forward-auth too). */
  @IsOptional() @IsString()
  TENANT_BASE_DOMAIN?: string;

  /** The host serving the sign-in routes; default `auth.<TENANT_BASE_DOMAIN>`. */
  @IsOptional() @IsString()
  EDGE_AUTH_HOST?: string;

  /**
   * The port browsers reach EDGE_AUTH_HOST on, when not the scheme's default (development: the dev edge's port).
   * Unset: in development with Secure off, PUBLIC_URL's port; else none.
   */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(65535)
  EDGE_AUTH_PORT?: number;

  /** The public base URL of this service: in development (Secure off) the sign-in origin keeps its port. */
  @IsOptional() @IsString()
  PUBLIC_URL?: string;

  /** A session unused for this long ends. */
  @IsString() @Matches(DURATION, { message: DURATION_MESSAGE })
  SESSION_IDLE_TTL = '8h';

  /** A session ends this long after sign-in however much it is used. */
  @IsString() @Matches(DURATION, { message: DURATION_MESSAGE })
  SESSION_MAX_TTL = '7d';

  /** Off only in development over plain HTTP: the cookie is then `cameleer_session` without Secure. */
  @ToBoolean() @IsBoolean()
  SESSION_COOKIE_SECURE = true;

  /** Sign-in route requests (login, callback, logout) per client address (TRUSTED_PROXIES) and window. */
  @Type(() => Number) @IsInt() @Min(1) @Max(1_000_000)
  EDGE_SIGN_IN_RATE_LIMIT_MAX = 30;

  @Type(() => Number) @IsInt() @Min(1000) @Max(3_600_000)
  EDGE_SIGN_IN_RATE_LIMIT_WINDOW_MS = 60_000;
}

/** The `edgeSessions` namespace: browser sign-in at the edge and the sessions it creates. */
export interface EdgeSessionsConfig {
  /** True when LOGTO_EDGE_APP_ID and TENANT_BASE_DOMAIN are set. */
  readonly enabled: boolean;
  /** EDGE_AUTH_HOST or auth.<TENANT_BASE_DOMAIN>. */
  readonly authHost: string | undefined;
  /** `https://<authHost>[:EDGE_AUTH_PORT]`, or `http://<authHost>[:EDGE_AUTH_PORT or PUBLIC_URL's port]` in development with Secure off. */
  readonly publicAuthOrigin: string | undefined;
  /** __Secure-cameleer_session, or cameleer_session where Secure is off. */
  readonly cookieName: string;
  /** TENANT_BASE_DOMAIN: the cookie's Domain, so every tenant host receives it. */
  readonly cookieDomain: string | undefined;
  readonly cookieSecure: boolean;
  readonly idleTtlMs: number;
  readonly maxTtlMs: number;
  readonly edgeAppId?: string;
  readonly edgeAppSecret?: string;
  /** PUBLIC_URL's host: the platform's own host, a sign-in may return to it too. */
  readonly platformHost?: string;
  readonly signInRateLimit: { readonly max: number; readonly windowMs: number };
}

function durationMs(value: string): number {
  const match = DURATION.exec(value.trim());
  return match === null ? 0 : Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 1000);
}

function hostName(name: string, value: string | undefined, problems: string[]): string | undefined {
  const host = value?.toLowerCase().replace(/\.$/, '');
  if (host !== undefined && !HOST.test(host)) {
    problems.push(`${name}: not a domain name (e.g. cameleer.example.com)`);
  }
  return host;
}

/** The port of PUBLIC_URL, when it names one: a development sign-in origin served on plain HTTP keeps it. */
function publicUrlPart(value: string | undefined, part: 'port' | 'hostname'): string | undefined {
  try {
    return value === undefined ? undefined : new URL(value)[part];
  } catch {
    // machine-tokens' config reports a malformed PUBLIC_URL.
    return undefined;
  }
}

export const edgeSessionsConfigSchema: ConfigSchema<EdgeSessionsEnv, EdgeSessionsConfig> = {
  namespace: 'edgeSessions',
  env: EdgeSessionsEnv,
  secrets: ['LOGTO_EDGE_APP_SECRET'],
  map: (env, context) => {
    const problems: string[] = [];
    const baseDomain = hostName('TENANT_BASE_DOMAIN', env.TENANT_BASE_DOMAIN, problems);
    const explicitAuthHost = hostName('EDGE_AUTH_HOST', env.EDGE_AUTH_HOST, problems);
    const idleTtlMs = durationMs(env.SESSION_IDLE_TTL);
    const maxTtlMs = durationMs(env.SESSION_MAX_TTL);
    if (idleTtlMs < MIN_IDLE_TTL_MS) {
      problems.push('SESSION_IDLE_TTL: at least 5m');
    }
    if (maxTtlMs < idleTtlMs || maxTtlMs > MAX_TTL_LIMIT_MS) {
      problems.push('SESSION_MAX_TTL: at least SESSION_IDLE_TTL and at most 90d');
    }
    if (!env.SESSION_COOKIE_SECURE && !context.development) {
      problems.push('SESSION_COOKIE_SECURE: may be turned off only in development (CAMELEER_DEV=1): a session cookie must never travel over plain HTTP');
    }
    if ((env.LOGTO_EDGE_APP_ID === undefined) !== (env.LOGTO_EDGE_APP_SECRET === undefined)) {
      problems.push('LOGTO_EDGE_APP_ID / LOGTO_EDGE_APP_SECRET: set both (the edge application is a confidential client) or neither');
    }
    if (env.LOGTO_EDGE_APP_ID !== undefined && baseDomain === undefined) {
      problems.push('TENANT_BASE_DOMAIN: required for browser sign-in (LOGTO_EDGE_APP_ID is set): the session cookie is set for that domain');
    }
    const authHost = explicitAuthHost ?? (baseDomain === undefined ? undefined : `auth.${baseDomain}`);
    if (authHost !== undefined && baseDomain !== undefined && authHost !== baseDomain && !authHost.endsWith(`.${baseDomain}`)) {
      problems.push(`EDGE_AUTH_HOST: must be ${baseDomain} or a host under it (the session cookie is set for that domain)`);
    }
    if (problems.length > 0) {
      throw new ConfigValidationError(problems);
    }
    const port = env.EDGE_AUTH_PORT !== undefined ? String(env.EDGE_AUTH_PORT) : env.SESSION_COOKIE_SECURE ? '' : (publicUrlPart(env.PUBLIC_URL, 'port') ?? '');
    return {
      enabled: env.LOGTO_EDGE_APP_ID !== undefined && baseDomain !== undefined,
      authHost,
      publicAuthOrigin: authHost === undefined ? undefined : `${env.SESSION_COOKIE_SECURE ? 'https' : 'http'}://${authHost}${port === '' ? '' : `:${port}`}`,
      cookieName: env.SESSION_COOKIE_SECURE ? '__Secure-cameleer_session' : 'cameleer_session',
      cookieDomain: baseDomain,
      cookieSecure: env.SESSION_COOKIE_SECURE,
      idleTtlMs,
      maxTtlMs,
      edgeAppId: env.LOGTO_EDGE_APP_ID,
      edgeAppSecret: env.LOGTO_EDGE_APP_SECRET,
      platformHost: publicUrlPart(env.PUBLIC_URL, 'hostname')?.toLowerCase(),
      signInRateLimit: { max: env.EDGE_SIGN_IN_RATE_LIMIT_MAX, windowMs: env.EDGE_SIGN_IN_RATE_LIMIT_WINDOW_MS },
    };
  },
};

export const edgeSessionsConfig = registerConfig(edgeSessionsConfigSchema);
