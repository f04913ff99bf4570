import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { agentKeys, countRows } from '../support/agent-fixtures';
import { sql } from '../support/tenant-rows';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

const P = 2n ** 255n - 19n;
const Y8 = 2707385501144840649318225287225658788936804267575313519463743609750303402022n;
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** The 32-byte Ed25519 encoding of y (little-endian) with the sign bit of x in the top bit. */
function encoding(y: bigint, sign: 0 | 1): Buffer {
  const bytes = Buffer.from(y.toString(16).padStart(64, '0'), 'hex').reverse();
  bytes[31] = ((bytes[31] ?? 0) & 0x7f) | (sign << 7);
  return bytes;
}

const jwkOf = (key: Buffer) => ({ kty: 'OKP', crv: 'Ed25519', x: key.toString('base64url') });
const pemOf = (key: Buffer) => `-----BEGIN PUBLIC KEY-----\n${Buffer.concat([SPKI_ED25519_PREFIX, key]).toString('base64')}\n-----END PUBLIC KEY-----\n`;

const WEAK_KEYS: [string, Buffer][] = [
  ['all zero (order 4)', encoding(0n, 0)],
  ['the other order-4 point', encoding(0n, 1)],
  ['the identity 01 00..00', encoding(1n, 0)],
  ['the order-2 point', encoding(P - 1n, 0)],
  ['order 8, +y8', encoding(Y8, 0)],
  ['order 8, +y8 with the sign bit', encoding(Y8, 1)],
  ['order 8, -y8', encoding(P - Y8, 0)],
  ['order 8, -y8 with the sign bit', encoding(P - Y8, 1)],
  ['the identity with the sign bit (non-canonical)', encoding(1n, 1)],
  ['the order-2 point with the sign bit (non-canonical)', encoding(P - 1n, 1)],
  ['y = p (non-canonical 0)', encoding(P, 0)],
  ['y = p with the sign bit', encoding(P, 1)],
  ['y = p + 1 (non-canonical identity)', encoding(P + 1n, 0)],
  ['y = p + 1 with the sign bit', encoding(P + 1n, 1)],
  ['y = p + 9 (non-canonical)', encoding(P + 9n, 0)],
  ['y = 2^255 - 1 (non-canonical)', encoding(2n ** 255n - 1n, 1)],
];

/** Issue 12 #5: registration refuses small-order and non-canonical Ed25519 keys, over HTTP, before anything is spent or created. */
describe('hardening: weak agent keys', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let tenantId: string;
  let bootstrap: { id: string; token: string };

  const api = () => request(testApp.server);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    logto = await startTenantsIdp();
    testApp = await startTestApp(logto.env({ TENANT_BASE_DOMAIN: 'weak.cameleer.test', AGENT_RATE_LIMIT_MAX: '100000' }));
    const operator = await logto.operatorToken();
    const created = await api().post('/api/tenants').set(bearer(operator)).send({ slug: `wk-${randomUUID().slice(0, 8)}`, name: 'Weak keys' }).expect(201);
    tenantId = created.body.id as string;
    await api().post(`/api/tenants/${tenantId}/license`).set(bearer(operator)).send({ tier: 'pro', limits: { maxAgents: 5 } }).expect(201);
    const minted = await api().post(`/api/tenants/${tenantId}/bootstrap-tokens`).set(bearer(operator)).send({ maxUses: 1 }).expect(201);
    bootstrap = { id: minted.body.id as string, token: minted.body.token as string };
  });

  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  const uses = async () => (await sql<{ uses: number }>(testApp.database.url, 'SELECT uses FROM agent_bootstrap_tokens WHERE id = $1', [bootstrap.id]))[0]?.uses;

  it.each(WEAK_KEYS)('refuses %s as a JWK and as PEM: 400 WEAK_PUBLIC_KEY, no agent, the bootstrap token unspent', async (_name, key) => {
    for (const publicKey of [jwkOf(key), pemOf(key)]) {
      const response = await api().post('/api/agents/register').set(bearer(bootstrap.token)).send({ name: 'weak', publicKey });
      expect({ status: response.status, code: response.body.code as unknown, token: response.body.accessToken as unknown }).toEqual({
        status: 400,
        code: 'WEAK_PUBLIC_KEY',
        token: undefined,
      });
    }
    expect(await countRows(testApp.database.url, 'agents', 'tenant_id = $1', [tenantId])).toBe(0);
    expect(await uses()).toBe(0);
  });

  it('still registers a sound key with the same single-use bootstrap token afterwards', async () => {
    await api().post('/api/agents/register').set(bearer(bootstrap.token)).send({ name: 'sound', publicKey: agentKeys().publicPem }).expect(201);
    expect(await countRows(testApp.database.url, 'agents', 'tenant_id = $1', [tenantId])).toBe(1);
    expect(await uses()).toBe(1);
  });
});
