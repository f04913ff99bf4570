/**
 * Support for the agents e2e specs: an agent's own Ed25519 key pair, assertions it signs, row counts, a scan of every
 * text and jsonb column of the database for secrets, and a capture of what the app logs.
 */
import { generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import request from 'supertest';
import type { DevIdp } from './dev-idp';
import { sql } from './tenant-rows';

export interface AgentKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly publicPem: string;
  readonly publicJwk: { kty: string; crv: string; x: string };
  /** Every form of the private key that must never show up anywhere (PEM body, JWK d). */
  readonly secrets: string[];
}

export function agentKeys(): AgentKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const privatePem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  const privateJwk = privateKey.export({ format: 'jwk' });
  const jwk = publicKey.export({ format: 'jwk' });
  return {
    privateKey,
    publicKey,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicJwk: { kty: 'OKP', crv: 'Ed25519', x: String(jwk.x) },
    secrets: [privatePem.split('\n')[1] ?? privatePem, String(privateJwk.d)],
  };
}

export interface AssertionOptions {
  readonly audience: string;
  readonly jti?: string;
  readonly typ?: string | null;
  readonly iat?: number;
  readonly exp?: number;
  readonly iss?: string;
  readonly key?: KeyObject;
}

/** The JWT an agent signs with its own key to get an access token. */
export function signAssertion(agentId: string, keys: AgentKeys, options: AssertionOptions): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const header: { alg: string; typ?: string } = { alg: 'EdDSA' };
  if (options.typ !== null) {
    header.typ = options.typ ?? 'JWT';
  }
  return new SignJWT({})
    .setProtectedHeader(header)
    .setIssuer(options.iss ?? agentId)
    .setSubject(agentId)
    .setAudience(options.audience)
    .setJti(options.jti ?? randomUUID())
    .setIssuedAt(options.iat ?? now)
    .setExpirationTime(options.exp ?? now + 120)
    .sign(options.key ?? keys.privateKey);
}

export async function countRows(url: string, table: string, where = 'true', values: unknown[] = []): Promise<number> {
  const [row] = await sql<{ n: number }>(url, `SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, values);
  return row?.n ?? 0;
}

/** Where (table.column) any of the strings occurs in any text, varchar, char, json or jsonb column of the public schema. */
export async function findSecrets(url: string, secrets: readonly string[]): Promise<string[]> {
  const columns = await sql<{ table_name: string; column_name: string }>(
    url,
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = 'public' AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')`,
  );
  const hits: string[] = [];
  for (const { table_name: table, column_name: column } of columns) {
    const [row] = await sql<{ n: number }>(
      url,
      `SELECT count(*)::int AS n FROM "${table}" WHERE EXISTS (SELECT 1 FROM unnest($1::text[]) AS secret WHERE strpos("${column}"::text, secret) > 0)`,
      [secrets],
    );
    if ((row?.n ?? 0) > 0) {
      hits.push(`${table}.${column}`);
    }
  }
  return hits;
}

/** The parts of a compact JWS worth searching for: the whole token and its signature. */
export function tokenSecrets(token: string): string[] {
  return [token, token.split('.')[2] ?? token];
}

/**
 * Captures what the app logs (pino writes to process.stdout under Jest), swallowing it: the app is started with
 * LOG_LEVEL=debug and every line is kept here for the secret scan.
 */
export function captureStdoutLogs(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }));
  return {
    text: () => chunks.join(''),
    restore: () => spy.mockRestore(),
  };
}

/** A new tenant (slug `<prefix>-…`) with a pro license, an agent registered through a bootstrap token, and a member. */
export interface LicensedTenantWithAgent {
  readonly id: string;
  readonly slug: string;
  readonly agentId: string;
  /** The agent's access token and a member's organization-scoped Logto token (tenant:read). */
  readonly tokens: { readonly agent: string; readonly member: string };
}

/** Creates a {@link LicensedTenantWithAgent} through the API as `operator` (platform:write). */
export async function licensedTenantWithAgent(
  server: Parameters<typeof request>[0],
  idp: Pick<DevIdp, 'mintUserToken'>,
  operator: string,
  prefix: string,
): Promise<LicensedTenantWithAgent> {
  const api = () => request(server);
  const asOperator = { authorization: `Bearer ${operator}` };
  const slug = `${prefix}-${randomUUID().slice(0, 8)}`;
  const created = await api().post('/api/tenants').set(asOperator).send({ slug, name: `Tenant ${slug}` }).expect(201);
  const id = created.body.id as string;
  await api().post(`/api/tenants/${id}/license`).set(asOperator).send({ tier: 'pro', limits: { maxAgents: 5 } }).expect(201);
  const minted = await api().post(`/api/tenants/${id}/bootstrap-tokens`).set(asOperator).send({}).expect(201);
  const registered = await api()
    .post('/api/agents/register')
    .set({ authorization: `Bearer ${minted.body.token as string}` })
    .send({ name: `agent of ${slug}`, publicKey: agentKeys().publicPem })
    .expect(201);
  const member = await idp.mintUserToken({ sub: `member-of-${slug}`, organizationId: created.body.logtoOrganizationId as string, scopes: ['tenant:read'] });
  return { id, slug, agentId: registered.body.agentId as string, tokens: { agent: registered.body.accessToken as string, member } };
}
