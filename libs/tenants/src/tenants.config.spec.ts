import { ConfigValidationError, loadConfig } from '@app/service-core';
import { tenantsConfigSchema } from './tenants.config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(tenantsConfigSchema, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      return [...error.problems];
    }
    throw error;
  }
}

describe('tenants configuration', () => {
  it('has no default tenant and a 10 s reconcile interval by default', () => {
    const config = loadConfig(tenantsConfigSchema, {});
    expect(config.defaultTenant).toBeUndefined();
    expect(config.reconcileIntervalMs).toBe(10_000);
    expect(config.driftIntervalMs).toBe(300_000);
  });

  it('takes a default tenant with both slug and name (the name trimmed)', () => {
    expect(loadConfig(tenantsConfigSchema, { DEFAULT_TENANT_SLUG: 'default', DEFAULT_TENANT_NAME: ' Default ' }).defaultTenant).toEqual({
      slug: 'default',
      name: 'Default',
    });
  });

  it('takes an owner for the default tenant (DEFAULT_TENANT_OWNER), a Logto user id, only with the default tenant', () => {
    expect(
      loadConfig(tenantsConfigSchema, { DEFAULT_TENANT_SLUG: 'demo', DEFAULT_TENANT_NAME: 'Demo', DEFAULT_TENANT_OWNER: 'aliceown0001' }).defaultTenant,
    ).toEqual({ slug: 'demo', name: 'Demo', ownerUserId: 'aliceown0001' });
    expect(problemsOf({ DEFAULT_TENANT_OWNER: 'aliceown0001' })).toEqual([expect.stringMatching(/^DEFAULT_TENANT_OWNER: only with DEFAULT_TENANT_SLUG/)]);
    expect(problemsOf({ DEFAULT_TENANT_SLUG: 'demo', DEFAULT_TENANT_NAME: 'Demo', DEFAULT_TENANT_OWNER: 'alice@example.com' })).toEqual([
      expect.stringMatching(/^DEFAULT_TENANT_OWNER: must be a Logto user id/),
    ]);
  });

  it('wants both DEFAULT_TENANT_SLUG and DEFAULT_TENANT_NAME, or neither', () => {
    expect(problemsOf({ DEFAULT_TENANT_SLUG: 'default' })).toEqual([expect.stringMatching(/both or neither/)]);
    expect(problemsOf({ DEFAULT_TENANT_NAME: 'Default' })).toEqual([expect.stringMatching(/both or neither/)]);
  });

  it('validates the default slug and name like the API does', () => {
    expect(problemsOf({ DEFAULT_TENANT_SLUG: 'admin', DEFAULT_TENANT_NAME: 'Admin' })).toEqual([expect.stringMatching(/^DEFAULT_TENANT_SLUG: .*reserved/)]);
    expect(problemsOf({ DEFAULT_TENANT_SLUG: 'Bad_Slug', DEFAULT_TENANT_NAME: 'x'.repeat(129) })).toHaveLength(2);
  });

  it('refuses a backoff cap below its base and intervals out of range', () => {
    expect(problemsOf({ TENANT_SYNC_BACKOFF_BASE_MS: '5000', TENANT_SYNC_BACKOFF_MAX_MS: '1000' })).toEqual([expect.stringMatching(/^TENANT_SYNC_BACKOFF_MAX_MS/)]);
    expect(problemsOf({ TENANT_RECONCILE_INTERVAL_MS: '10' })).toEqual([expect.stringMatching(/^TENANT_RECONCILE_INTERVAL_MS/)]);
  });

  it('keeps deleted tenants restorable for 30 days and looks for expired ones hourly by default; both configurable', () => {
    const defaults = loadConfig(tenantsConfigSchema, {});
    expect(defaults.retentionDays).toBe(30);
    expect(defaults.purgeIntervalMs).toBe(3_600_000);
    expect(loadConfig(tenantsConfigSchema, { TENANT_RETENTION_DAYS: '0', TENANT_PURGE_INTERVAL_MS: '500' })).toMatchObject({ retentionDays: 0, purgeIntervalMs: 500 });
    expect(problemsOf({ TENANT_RETENTION_DAYS: '-1' })).toEqual([expect.stringMatching(/^TENANT_RETENTION_DAYS/)]);
    expect(problemsOf({ TENANT_RETENTION_DAYS: '1.5' })).toEqual([expect.stringMatching(/^TENANT_RETENTION_DAYS/)]);
    expect(problemsOf({ TENANT_PURGE_INTERVAL_MS: '10' })).toEqual([expect.stringMatching(/^TENANT_PURGE_INTERVAL_MS/)]);
  });
});
