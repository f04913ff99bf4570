import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { agentKeys } from '../support/agent-fixtures';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { sql } from '../support/tenant-rows';
import { startTestApp, TestApp } from '../support/test-app';

/** The source IP of the agent routes (rate limit per IP, audit) under TRUSTED_PROXIES, over HTTP. */
describe.each([
  ['behind a trusted proxy (TRUSTED_PROXIES=127.0.0.1)', '127.0.0.1', true],
  ['with the peer not a trusted proxy (TRUSTED_PROXIES=10.0.0.0/8)', '10.0.0.0/8, fd00::/8', false],
] as const)('agent routes %s', (_name, trustedProxies, trusted) => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;

  beforeAll(async () => {
    logto = await startTenantsIdp();
    testApp = await startTestApp(logto.env({ TRUSTED_PROXIES: trustedProxies, AGENT_RATE_LIMIT_MAX: '3', AGENT_RATE_LIMIT_WINDOW_MS: '60000' }));
    operator = await logto.operatorToken();
  });

  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  const token = (forwardedFor?: string) => {
    const call = request(testApp.server).post('/api/agents/token');
    return (forwardedFor === undefined ? call : call.set('X-Forwarded-For', forwardedFor)).send({ assertion: 'a.b.c' });
  };

  it('rate-limits /api/agents/token per source IP', async () => {
    for (let i = 0; i < 3; i++) {
      await token(`198.51.100.7`).expect(401);
    }
    const limited = await token('198.51.100.7');
    expect(limited.status).toBe(429);
    // Another client behind the proxy has its own budget only when the proxy is trusted; a spoofed left-most entry changes nothing.
    const other = await token('203.0.113.99, 198.51.100.8');
    expect(other.status).toBe(trusted ? 401 : 429);
    const spoofed = await token('198.51.100.8, 198.51.100.7');
    expect(spoofed.status).toBe(429);
  });

  it('records the source IP in the audit trail', async () => {
    const created = await request(testApp.server).post('/api/tenants').set('Authorization', `Bearer ${operator}`).send({ slug: `ip-${randomUUID().slice(0, 8)}`, name: 'IP' });
    expect(created.status).toBe(201);
    const tenantId = created.body.id as string;
    const minted = await request(testApp.server).post(`/api/tenants/${tenantId}/bootstrap-tokens`).set('Authorization', `Bearer ${operator}`).set('X-Forwarded-For', '192.0.2.1, 127.0.0.1').send({});
    expect(minted.status).toBe(201);
    // No license: refused, and the refusal names where it came from.
    const refused = await request(testApp.server)
      .post('/api/agents/register')
      .set('Authorization', `Bearer ${minted.body.token as string}`)
      .set('X-Forwarded-For', '::ffff:192.0.2.55')
      .send({ name: 'a', publicKey: agentKeys().publicPem });
    expect(refused.status).toBe(403);
    // The agent routes' records (the tenant's own creation is in the trail too, recorded by the operator's call).
    const rows = await sql<{ action: string; ip: string }>(
      testApp.database.url,
      "SELECT action, host(source_ip) AS ip FROM audit_events WHERE tenant_id = $1 AND action NOT LIKE 'tenant.%' ORDER BY id",
      [tenantId],
    );
    expect(rows).toEqual([
      { action: 'bootstrap_token.minted', ip: trusted ? '192.0.2.1' : '127.0.0.1' },
      { action: 'agent.registration_refused', ip: trusted ? '192.0.2.55' : '127.0.0.1' },
    ]);
  });
});
