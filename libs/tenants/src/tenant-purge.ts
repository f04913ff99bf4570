import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable, Metrics } from '@app/service-core';
import { TenantLogtoSync } from './tenant-logto-sync';
import { TenantRetirement } from './tenant-retirement';
import { Tenant } from './tenant.entity';
import { TenantsRepository } from './tenants.repository';
import { tenantsConfig, TenantsConfig } from './tenants.config';
import { runAfterCommit, TenantsService } from './tenants.service';

const CLAIM_BATCH = 10;

/** The first pass comes at most this long after boot (half to all of it). */
const FIRST_PASS_AFTER_BOOT_MAX_MS = 5 * 60_000;

/** The purge's first step: the tenant's Logto organization (and its memberships) deleted. */
export const ORGANIZATION_STEP = 'organization';
/** The purge's last step: the tombstone, audited and in the event feed as tenant.purged. */
export const PURGED_STEP = 'purged';

/** Who purges, in the audit trail. */
const PURGE_JOB = { actor: 'system:purge' } as const;

export interface PurgeOptions {
  /**
   * Called after each step committed (ORGANIZATION_STEP, each participant's name, PURGED_STEP). For tests that
   * stop a purge half-way (a child process exiting there) to prove it resumes; production passes nothing.
   */
  readonly afterStep?: (step: string, tenant: Tenant) => void | Promise<void>;
}

/**
 * Purges deleted tenants once TENANT_RETENTION_DAYS have passed, every TENANT_PURGE_INTERVAL_MS: deletes the Logto
 * organization (TenantLogtoSync's DELETE, whose failures are recorded and retried with backoff), then runs every
 * retirement participant's purge (agents, bootstrap tokens, sessions' organization tokens), then marks the row
 * purged (the tombstone keeping the slug; licenses and the audit trail are kept). One replica purges a tenant at a
 * time (a lease in the row, claimed with SKIP LOCKED); each step is recorded in the row as it commits and is
 * idempotent, so a purge interrupted anywhere (a crash, Logto down) resumes where it stopped, and tenant.purged is
 * recorded exactly once.
 */
@Injectable()
export class TenantPurge implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('TenantPurge');
  private timer?: NodeJS.Timeout;
  private running?: Promise<string[]>;
  private stopped = false;

  constructor(
    private readonly repository: TenantsRepository,
    private readonly sync: TenantLogtoSync,
    private readonly tenants: TenantsService,
    private readonly retirement: TenantRetirement,
    private readonly dataSource: DataSource,
    @Inject(tenantsConfig.KEY) private readonly config: TenantsConfig,
    metrics: Metrics,
  ) {
    metrics.gauge(
      'cameleer_tenant_purge_backlog',
      'Deleted tenants not yet purged: restorable (within TENANT_RETENTION_DAYS), due (to purge now), waiting (for their organization to be deleted in Logto).',
      ['state'],
      async () => {
        const { restorable, due, waiting } = await this.repository.purgeBacklog(this.config.retentionDays);
        return [
          [{ state: 'restorable' }, restorable],
          [{ state: 'due' }, due],
          [{ state: 'waiting' }, waiting],
        ];
      },
    );
  }

  onApplicationBootstrap(): void {
    // Not at boot (a deleted tenant is refused everywhere already, its purge is not urgent), but not a whole interval
    // later either: replicas restarted more often than TENANT_PURGE_INTERVAL_MS (deploys) would never purge, and a
    // purge a crash interrupted would wait an interval to resume. Jittered, so replicas started together spread out.
    const firstPassMs = Math.min(this.config.purgeIntervalMs, FIRST_PASS_AFTER_BOOT_MAX_MS) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => {
      void this.purgeQuietly();
      this.timer = setInterval(() => void this.purgeQuietly(), this.config.purgeIntervalMs);
      this.timer.unref();
    }, firstPassMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.timer);
    await Promise.allSettled([this.running]);
  }

  /**
   * One pass: purges (or carries on purging) every deleted tenant past the retention window that no other replica
   * holds; resolves with the ids of the tenants it finished. A pass already running in this process is waited for.
   */
  async purgeDue(options: PurgeOptions = {}): Promise<string[]> {
    while (this.running !== undefined) {
      await this.running.catch(() => undefined);
    }
    const run = this.pass(options).finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async purgeQuietly(): Promise<void> {
    if (this.running !== undefined) {
      return;
    }
    try {
      await this.purgeDue();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        this.logger.warn({ err: error }, 'purge pass failed');
      }
    }
  }

  private async pass(options: PurgeOptions): Promise<string[]> {
    const purged: string[] = [];
    for (let batch = 0; batch < 50 && !this.stopped; batch++) {
      const claimed = await this.repository.claimPurge(CLAIM_BATCH, this.config.retentionDays, this.config.leaseMs);
      for (const { tenant, holdsLogtoWork } of claimed) {
        if (this.stopped) {
          return purged;
        }
        if (await this.purgeOne(tenant, holdsLogtoWork, options)) {
          purged.push(tenant.id);
        }
      }
      if (claimed.length < CLAIM_BATCH) {
        break;
      }
    }
    return purged;
  }

  /**
   * Runs the steps not yet done; true when the tenant is purged now, false when it has to wait for its organization's
   * deletion (run now when the claim took it, else held by the reconciler or waiting out its backoff).
   */
  private async purgeOne(claimed: Tenant, holdsLogtoWork: boolean, options: PurgeOptions): Promise<boolean> {
    let tenant = claimed;
    if (!tenant.purgeSteps.includes(ORGANIZATION_STEP)) {
      if (tenant.pendingLogtoAction !== null && holdsLogtoWork) {
        tenant = this.sync.configured ? await this.sync.run(tenant) : await this.sync.recordNotConfigured(tenant);
      }
      if (tenant.pendingLogtoAction !== null) {
        // Logto down or refusing: the failure is in the row (sync state), retried with backoff; nothing else goes before it.
        this.logger.warn(`tenant ${tenant.slug}: purge waits for its organization's deletion (${tenant.lastSyncError ?? 'being retried'})`);
        await this.repository.releasePurge(tenant.id);
        return false;
      }
      await this.dataSource.transaction((tx) => this.repository.recordPurgeStep(tenant.id, ORGANIZATION_STEP, tx));
      await options.afterStep?.(ORGANIZATION_STEP, tenant);
    }
    for (const participant of this.retirement.participants) {
      if (tenant.purgeSteps.includes(participant.name)) {
        continue;
      }
      const afterCommit = await this.dataSource.transaction(async (tx) => {
        const then = await participant.purge(tenant, tx);
        await this.repository.recordPurgeStep(tenant.id, participant.name, tx);
        return then;
      });
      runAfterCommit(afterCommit === undefined ? [] : [afterCommit], this.logger);
      await options.afterStep?.(participant.name, tenant);
    }
    const purged = await this.tenants.audited('tenant.purged', PURGE_JOB, (tx) => this.repository.markPurged(tenant.id, tx));
    if (purged === undefined) {
      return false;
    }
    this.logger.log(`tenant ${purged.slug} purged (${purged.id}); its slug stays taken, its licenses and audit trail are kept`);
    await options.afterStep?.(PURGED_STEP, purged);
    return true;
  }
}
