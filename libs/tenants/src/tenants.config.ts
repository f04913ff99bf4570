import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ConfigSchema, ConfigValidationError, registerConfig } from '@app/service-core';
import { LOGTO_USER_ID_PATTERN, tenantNameProblem, tenantSlugProblem } from './tenant-slug';

class TenantsEnv {
  /** Slug of a tenant created at boot when absent (with DEFAULT_TENANT_NAME; both or neither). */
  @IsOptional() @IsString()
  DEFAULT_TENANT_SLUG?: string;

  @IsOptional() @IsString()
  DEFAULT_TENANT_NAME?: string;

  /**
   * Logto user id made the owner of the default tenant's organization (as ownerUserId of POST /api/tenants) when
   * the default tenant is created; only with DEFAULT_TENANT_SLUG. A default tenant that already exists is left as is.
   */
  @IsOptional() @IsString()
  DEFAULT_TENANT_OWNER?: string;

  /** How often the reconciler retries pending Logto work (organizations to create, rename or delete). */
  @Type(() => Number) @IsInt() @Min(100) @Max(3_600_000)
  TENANT_RECONCILE_INTERVAL_MS = 10_000;

  /** How often tenants and Logto organizations are compared for drift (missing, renamed, orphaned). */
  @Type(() => Number) @IsInt() @Min(1000) @Max(86_400_000)
  TENANT_DRIFT_INTERVAL_MS = 300_000;

  /** First retry delay of a failing tenant; doubles per attempt up to TENANT_SYNC_BACKOFF_MAX_MS. */
  @Type(() => Number) @IsInt() @Min(10) @Max(3_600_000)
  TENANT_SYNC_BACKOFF_BASE_MS = 2_000;

  @Type(() => Number) @IsInt() @Min(10) @Max(3_600_000)
  TENANT_SYNC_BACKOFF_MAX_MS = 30_000;

  /** How long a request waits for Logto before answering (202 for a create) and leaving the rest to run in the background. */
  @Type(() => Number) @IsInt() @Min(100) @Max(60_000)
  TENANT_REQUEST_SYNC_BUDGET_MS = 10_000;

  /**
   * How long a deleted tenant can be restored (POST /api/tenants/{id}/restore); after it the purge job deletes its
   * Logto organization, agents, bootstrap tokens and sessions. 0: purged at the next pass, never restorable.
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(3650)
  TENANT_RETENTION_DAYS = 30;

  /** How often the purge job looks for deleted tenants past TENANT_RETENTION_DAYS (and resumes interrupted purges). */
  @Type(() => Number) @IsInt() @Min(100) @Max(86_400_000)
  TENANT_PURGE_INTERVAL_MS = 3_600_000;

  /** How long a claimed tenant is left to the claiming process before another one may retry it. */
  @Type(() => Number) @IsInt() @Min(1000) @Max(3_600_000)
  TENANT_SYNC_LEASE_MS = 60_000;
}

export interface TenantsConfig {
  readonly defaultTenant?: { readonly slug: string; readonly name: string; readonly ownerUserId?: string };
  readonly reconcileIntervalMs: number;
  readonly driftIntervalMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly leaseMs: number;
  readonly requestBudgetMs: number;
  readonly retentionDays: number;
  readonly purgeIntervalMs: number;
}

export const tenantsConfigSchema: ConfigSchema<TenantsEnv, TenantsConfig> = {
  namespace: 'tenants',
  env: TenantsEnv,
  map: (env) => {
    const problems: string[] = [];
    const slug = env.DEFAULT_TENANT_SLUG;
    const name = env.DEFAULT_TENANT_NAME?.trim();
    if ((slug === undefined) !== (name === undefined)) {
      problems.push('DEFAULT_TENANT_SLUG, DEFAULT_TENANT_NAME: set both or neither');
    }
    const slugProblem = slug === undefined ? undefined : tenantSlugProblem(slug);
    if (slugProblem !== undefined) {
      problems.push(`DEFAULT_TENANT_SLUG: ${slugProblem}`);
    }
    const nameProblem = name === undefined ? undefined : tenantNameProblem(name);
    if (nameProblem !== undefined) {
      problems.push(`DEFAULT_TENANT_NAME: ${nameProblem}`);
    }
    const owner = env.DEFAULT_TENANT_OWNER?.trim();
    if (owner !== undefined && slug === undefined) {
      problems.push('DEFAULT_TENANT_OWNER: only with DEFAULT_TENANT_SLUG and DEFAULT_TENANT_NAME');
    }
    if (owner !== undefined && !LOGTO_USER_ID_PATTERN.test(owner)) {
      problems.push('DEFAULT_TENANT_OWNER: must be a Logto user id (1-128 letters, digits, "_" or "-")');
    }
    if (env.TENANT_REQUEST_SYNC_BUDGET_MS >= env.TENANT_SYNC_LEASE_MS) {
      problems.push('TENANT_REQUEST_SYNC_BUDGET_MS: must be below TENANT_SYNC_LEASE_MS (the request holds the lease meanwhile)');
    }
    if (env.TENANT_SYNC_BACKOFF_MAX_MS < env.TENANT_SYNC_BACKOFF_BASE_MS) {
      problems.push('TENANT_SYNC_BACKOFF_MAX_MS: must not be below TENANT_SYNC_BACKOFF_BASE_MS');
    }
    if (problems.length > 0) {
      throw new ConfigValidationError(problems);
    }
    return {
      defaultTenant: slug !== undefined && name !== undefined ? { slug, name, ...(owner === undefined ? {} : { ownerUserId: owner }) } : undefined,
      reconcileIntervalMs: env.TENANT_RECONCILE_INTERVAL_MS,
      driftIntervalMs: env.TENANT_DRIFT_INTERVAL_MS,
      backoffBaseMs: env.TENANT_SYNC_BACKOFF_BASE_MS,
      backoffMaxMs: env.TENANT_SYNC_BACKOFF_MAX_MS,
      leaseMs: env.TENANT_SYNC_LEASE_MS,
      requestBudgetMs: env.TENANT_REQUEST_SYNC_BUDGET_MS,
      retentionDays: env.TENANT_RETENTION_DAYS,
      purgeIntervalMs: env.TENANT_PURGE_INTERVAL_MS,
    };
  },
};

export const tenantsConfig = registerConfig(tenantsConfigSchema);
