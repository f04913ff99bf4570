import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { agentKeys } from '../support/agent-fixtures';
import { rowCounts } from '../support/hardening';
import { startTestApp, TestApp } from '../support/test-app';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';

// Finding 10: members and agents of a suspended (or deleted) tenant kept getting freshly signed license tokens,
// although the short token life is the only way a suspension reaches offline verifiers. A token is now signed only
// for an ACTIVE tenant (LicensingService.sign): 409 TENANT_NOT_ACTIVE on every refresh path; records stay readable.
describe('hardening: no fresh license tokens for a tenant that is not ACTIVE', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;

  const api = () => request(testApp.server);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    testApp = await startTestApp(logto.env({ AGENT_RATE_LIMIT_MAX: '100000' }));
    operator = await logto.operatorToken();
  });
  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  /** An ACTIVE tenant with a license, a tenant admin and one registered agent. */
  async function tenantWithAgent(): Promise<{ id: string; member: string; agent: string }> {
    const slug = `inact-${randomUUID().slice(0, 8)}`;
    const created = await api().post('/api/tenants').set(bearer(operator)).send({ slug, name: `Tenant ${slug}` }).expect(201);
    const id = created.body.id as string;
    const member = await logto.idp.mintUserToken({ sub: `admin-of-${slug}`, organizationId: created.body.logtoOrganizationId as string, scopes: ['tenant:read', 'tenant:admin'] });
    await api().post(`/api/tenants/${id}/license`).set(bearer(operator)).send({ tier: 'pro' }).expect(201);
    const minted = await api().post(`/api/tenants/${id}/bootstrap-tokens`).set(bearer(member)).send({}).expect(201);
    const registered = await api()
      .post('/api/agents/register')
      .set(bearer(minted.body.token as string))
      .send({ name: 'edge-1', publicKey: agentKeys().publicPem })
      .expect(201);
    // Before the suspension both refresh paths hand out a token.
    expect((await api().get(`/api/tenants/${id}/license`).set(bearer(member)).expect(200)).body.token).toEqual(expect.any(String));
    expect((await api().get('/api/agents/me').set(bearer(registered.body.accessToken as string)).expect(200)).body.license).toEqual(expect.any(String));
    return { id, member, agent: registered.body.accessToken as string };
  }

  const expectNotActive = (response: request.Response, status: string) => {
    expect(response.status).toBe(409);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ code: 'TENANT_NOT_ACTIVE', detail: `The tenant is ${status}.` });
    expect(JSON.stringify(response.body)).not.toMatch(/eyJ/);
  };

  it('a suspended tenant: its member, its agent and operators get 409 on refresh; operators still read the records', async () => {
    const tenant = await tenantWithAgent();
    await api().post(`/api/tenants/${tenant.id}/suspend`).set(bearer(operator)).expect(200);
    const before = await rowCounts(testApp);

    expectNotActive(await api().get(`/api/tenants/${tenant.id}/license`).set(bearer(tenant.member)), 'SUSPENDED');
    expectNotActive(await api().get('/api/agents/me').set(bearer(tenant.agent)), 'SUSPENDED');
    expectNotActive(await api().get(`/api/tenants/${tenant.id}/license`).set(bearer(operator)), 'SUSPENDED');

    const history = await api().get(`/api/tenants/${tenant.id}/licenses`).set(bearer(operator)).expect(200);
    expect(history.body).toMatchObject({ total: 1, items: [{ tenantId: tenant.id, state: 'CURRENT' }] });
    expect(history.body.items[0].token).toBeUndefined();
    expect(await rowCounts(testApp)).toEqual(before);

    // Resumed, it refreshes again.
    await api().post(`/api/tenants/${tenant.id}/resume`).set(bearer(operator)).expect(200);
    expect((await api().get(`/api/tenants/${tenant.id}/license`).set(bearer(tenant.member)).expect(200)).body.token).toEqual(expect.any(String));
    expect((await api().get('/api/agents/me').set(bearer(tenant.agent)).expect(200)).body.license).toEqual(expect.any(String));
  });

  it('a deleted tenant: its agent, disabled with it, gets 401, its member no longer belongs to it (404)', async () => {
    const tenant = await tenantWithAgent();
    await api().delete(`/api/tenants/${tenant.id}`).set(bearer(operator)).expect((response) => expect(response.status).toBeLessThan(300));
    const before = await rowCounts(testApp);

    // The delete disabled the tenant's agents (issue 16): a disabled agent is refused before any license question.
    const agent = await api().get('/api/agents/me').set(bearer(tenant.agent));
    expect(agent.status).toBe(401);
    expect(JSON.stringify(agent.body)).not.toMatch(/eyJ/);
    const member = await api().get(`/api/tenants/${tenant.id}/license`).set(bearer(tenant.member));
    expect(member.status).toBe(404);
    expect(JSON.stringify(member.body)).not.toMatch(/eyJ/);
    expect(await rowCounts(testApp)).toEqual(before);
  });
});
