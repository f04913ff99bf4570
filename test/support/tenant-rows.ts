import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';

export interface TenantRowInput {
  readonly status?: 'PROVISIONING' | 'ACTIVE' | 'SUSPENDED' | 'DELETED';
  readonly slug?: string;
  /** The tenant's Logto organization id (members' tokens carry it); a random one by default. */
  readonly organizationId?: string | null;
}

export interface InsertedTenant {
  readonly id: string;
  readonly slug: string;
  readonly organizationId: string | null;
}

/** Runs one statement on the test database (own short-lived connection). */
export async function sql<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Writes a tenant row directly, as the tenants lib would leave it once provisioned: for tests of other features
 * that need a tenant in a given status without going through Logto provisioning.
 */
export async function insertTenantRow(url: string, input: TenantRowInput = {}): Promise<InsertedTenant> {
  const id = randomUUID();
  const slug = input.slug ?? `t-${randomBytes(5).toString('hex')}`;
  const organizationId = input.organizationId === undefined ? `org_${randomBytes(6).toString('hex')}` : input.organizationId;
  const status = input.status ?? 'ACTIVE';
  await sql(
    url,
    `INSERT INTO tenants (id, slug, name, status, logto_organization_id, deleted_at, provisioning_marker) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [id, slug, `Tenant ${slug}`, status, organizationId, status === 'DELETED' ? new Date() : null, randomBytes(32).toString('base64url')],
  );
  return { id, slug, organizationId };
}
