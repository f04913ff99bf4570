import { DataSource } from 'typeorm';
import { findPage, PageQuery, queryEntities } from '@app/service-core';
import { License } from '@app/licensing';
import { Tenant } from '@app/tenants';
import { openSchemaDatabase, SchemaDatabase } from '../support/schema-database';
import { TestDatabase } from '../support/test-database';
import { insertTenantRow } from '../support/tenant-rows';

function pageQuery(page: number, pageSize: number): PageQuery {
  return Object.assign(new PageQuery(), { page, pageSize });
}

/** service-core's persistence helpers on a migrated database: raw rows hydrated into entities, and pages. */
describe('persistence helpers', () => {
  let opened: SchemaDatabase | undefined;
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    opened = await openSchemaDatabase();
    ({ database, dataSource } = opened);
  });

  afterAll(async () => {
    await opened?.close();
  });

  it('queryEntities hydrates SELECT and UPDATE … RETURNING rows into entities by column metadata', async () => {
    const inserted = await insertTenantRow(database.url, { status: 'SUSPENDED' });
    const [selected] = await queryEntities(dataSource, Tenant, `SELECT * FROM tenants WHERE id = $1`, [inserted.id]);
    expect(selected).toBeInstanceOf(Tenant);
    expect(selected).toMatchObject({ id: inserted.id, slug: inserted.slug, status: 'SUSPENDED', logtoOrganizationId: inserted.organizationId, deletedAt: null, version: 1 });
    expect(selected!.createdAt).toBeInstanceOf(Date);

    const updated = await queryEntities(dataSource, Tenant, `UPDATE tenants SET version = version + 1 WHERE id = $1 RETURNING *`, [inserted.id]);
    expect(updated).toEqual([expect.objectContaining({ id: inserted.id, version: 2 })]);
    expect(await queryEntities(dataSource, Tenant, `UPDATE tenants SET version = 9 WHERE id = $1 AND version = 1 RETURNING *`, [inserted.id])).toEqual([]);

    const [license] = await queryEntities(
      dataSource,
      License,
      `INSERT INTO licenses (tenant_id, tier, features, limits, starts_at, ends_at, grace_days, state, issued_by)
       VALUES ($1, 'pro', '["tracing"]', '{"maxAgents": 3}', now(), now() + interval '1 day', 7, 'CURRENT', 'test') RETURNING *`,
      [inserted.id],
    );
    expect(license).toMatchObject({ tenantId: inserted.id, features: ['tracing'], limits: { maxAgents: 3 }, graceDays: 7, revokedAt: null });
    expect(license!.endsAt).toBeInstanceOf(Date);
  });

  it('findPage returns one page in the given order and the count of every match', async () => {
    const tenant = await insertTenantRow(database.url);
    await dataSource.query(
      `INSERT INTO licenses (tenant_id, tier, features, limits, starts_at, ends_at, grace_days, state, issued_by, created_at)
       SELECT $1, 'free', '[]', '{}', now(), now() + interval '1 day', 0, 'SUPERSEDED', 'n' || n, now() - make_interval(mins => n)
         FROM generate_series(1, 5) AS n`,
      [tenant.id],
    );
    const repository = dataSource.getRepository(License);
    const criteria = { where: { tenantId: tenant.id }, order: { createdAt: 'DESC', id: 'DESC' } } as const;
    const first = await findPage(repository, pageQuery(1, 2), criteria);
    expect(first).toMatchObject({ total: 5, page: 1, pageSize: 2 });
    expect(first.items.map((license) => license.issuedBy)).toEqual(['n1', 'n2']);
    const last = await findPage(repository, pageQuery(3, 2), criteria);
    expect(last.items.map((license) => license.issuedBy)).toEqual(['n5']);
    const beyond = await findPage(repository, pageQuery(4, 2), criteria);
    expect(beyond).toMatchObject({ items: [], total: 5 });
  });
});
