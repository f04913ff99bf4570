import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ChangedBy } from '@app/security';
import { AfterCommit, StillStopped, Tenant, TenantRetirement } from '@app/tenants';
import { LicenseEvents } from './license-events';
import { LicensingService } from './licensing.service';

const TENANT_DELETED = 'tenant_deleted';
const REVOKE_REASON = 'The tenant was deleted.';

/**
 * The licensing lib's part in a tenant's delete and purge: the delete revokes the current license (in the delete's
 * transaction), the purge keeps every license record (the documented retention: they stay with the tombstone).
 */
@Injectable()
export class LicenseRetirement implements OnModuleInit {
  readonly name = 'licensing';
  private readonly logger = new Logger('Licensing');

  constructor(
    private readonly retirement: TenantRetirement,
    private readonly licensing: LicensingService,
    private readonly events: LicenseEvents,
  ) {}

  onModuleInit(): void {
    this.retirement.register(this);
  }

  async retire(tenant: Tenant, by: ChangedBy, tx: EntityManager): Promise<AfterCommit | void> {
    const license = await this.licensing.revokeCurrent(tenant.id, REVOKE_REASON, by, tx, new Date(), TENANT_DELETED);
    if (license === undefined) {
      return;
    }
    return () => {
      this.logger.warn(`license ${license.id} of tenant ${tenant.slug} revoked: the tenant was deleted`);
      this.events.emit({ type: 'revoked', tenantId: tenant.id, licenseId: license.id });
    };
  }

  /** License records are kept after the purge (with the tenant's tombstone and audit trail). */
  async purge(): Promise<void> {}

  async describeStopped(tenant: Tenant, tx: EntityManager): Promise<StillStopped | undefined> {
    if (tenant.deletedAt === null) {
      return undefined;
    }
    // Revoked by this delete: its reason, at its time (revoked_at is the API's clock, deleted_at the database's: a margin).
    const [row] = await tx.query<{ count: string }[]>(
      `SELECT count(*) AS count FROM licenses
        WHERE tenant_id = $1 AND state = 'REVOKED' AND revoke_reason = $3 AND revoked_at >= $2::timestamptz - interval '1 minute'`,
      [tenant.id, tenant.deletedAt, REVOKE_REASON],
    );
    const count = Number(row?.count ?? 0);
    return count === 0
      ? undefined
      : { kind: this.name, count, action: `POST /api/tenants/${tenant.id}/license to issue a license once the tenant is resumed: the license revoked at delete stays revoked` };
  }
}
