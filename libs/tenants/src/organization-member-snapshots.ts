import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

/**
 * The members each tenant's organization had at the last drift pass (table organization_member_snapshots). Logto
 * does not retry a failed webhook delivery and sends no removal before 1.42 for a `PUT` replacing the members: a
 * user in the snapshot and gone from Logto now was removed, whether or not a webhook said so.
 */
@Injectable()
export class OrganizationMemberSnapshots {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * The members last seen. Never compared and compared with no members are alike: empty, so nothing can be missing
   * (an organization's first pass, after this table came or the tenant was created, only records).
   */
  async lastSeen(organizationId: string): Promise<ReadonlySet<string>> {
    const rows = await this.dataSource.query<{ user_id: string }[]>(`SELECT user_id FROM organization_member_snapshots WHERE organization_id = $1`, [organizationId]);
    return new Set(rows.map((row) => row.user_id));
  }

  /** The tenant's organization and its members are now exactly these (one transaction; a replaced organization's rows go). */
  async record(tenantId: string, organizationId: string, userIds: readonly string[]): Promise<void> {
    await this.dataSource.transaction(async (tx) => {
      await tx.query(`DELETE FROM organization_member_snapshots WHERE tenant_id = $1 AND organization_id <> $2`, [tenantId, organizationId]);
      await tx.query(`DELETE FROM organization_member_snapshots WHERE organization_id = $1 AND NOT (user_id = ANY($2::varchar[]))`, [organizationId, userIds]);
      await tx.query(
        `INSERT INTO organization_member_snapshots (tenant_id, organization_id, user_id)
         SELECT $1, $2, unnest($3::varchar[]) ON CONFLICT (organization_id, user_id) DO UPDATE SET seen_at = now(), tenant_id = EXCLUDED.tenant_id`,
        [tenantId, organizationId, userIds],
      );
    });
  }

  /**
   * Members Logto's webhook reported added, before the next pass sees them: should their removal's delivery be lost,
   * that pass still finds them gone. Only for an organization that is a tenant's; a repeat changes nothing.
   */
  async added(organizationId: string, userIds: readonly string[]): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO organization_member_snapshots (tenant_id, organization_id, user_id)
       SELECT t.id, t.logto_organization_id, u.user_id FROM tenants t, unnest($2::varchar[]) AS u(user_id)
       WHERE t.logto_organization_id = $1
       ON CONFLICT (organization_id, user_id) DO NOTHING`,
      [organizationId, userIds],
    );
  }

  /** Members whose removal MemberRemovals recorded (in `tx` when given): the next pass has nothing to find. */
  async removed(organizationId: string, userIds: readonly string[], tx: EntityManager = this.dataSource.manager): Promise<void> {
    await tx.query(`DELETE FROM organization_member_snapshots WHERE organization_id = $1 AND user_id = ANY($2::varchar[])`, [organizationId, userIds]);
  }
}
