import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { agentKeys } from '../support/agent-fixtures';
import { rowCounts } from '../support/hardening';
import { startTestApp, TestApp } from '../support/test-app';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';

const OPERATOR_SUB = `operator-${randomUUID().slice(0, 8)}`;

// Finding 16: tenant admins reading their audit trail saw operator subjects and source IPs. An operator's action is
// now recorded as `operator:<kind>:<sub>` and shown to tenant callers as the platform's, without subject or address
// (also as the issuer, creator, revoker or disabler of their licenses, tokens and agents); operators still see everything.
describe('hardening: operator identities are not shown to customers', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;

  const api = () => request(testApp.server);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    testApp = await startTestApp(logto.env({ AGENT_RATE_LIMIT_MAX: '100000' }));
    operator = await logto.idp.mintUserToken({ sub: OPERATOR_SUB, scopes: ['platform:read', 'platform:write'] });
  });
  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  it('an operator acts on a tenant; its admin sees the platform, the operator sees who and from where', async () => {
    const slug = `opid-${randomUUID().slice(0, 8)}`;
    const created = await api().post('/api/tenants').set(bearer(operator)).send({ slug, name: `Tenant ${slug}` }).expect(201);
    const id = created.body.id as string;
    const admin = await logto.idp.mintUserToken({ sub: `admin-of-${slug}`, organizationId: created.body.logtoOrganizationId as string, scopes: ['tenant:read', 'tenant:admin'] });
    await api().post(`/api/tenants/${id}/license`).set(bearer(operator)).send({ tier: 'pro' }).expect(201);

    // The operator mints a token, an agent registers with it, the operator disables the agent and mints and revokes another token.
    const minted = await api().post(`/api/tenants/${id}/bootstrap-tokens`).set(bearer(operator)).send({}).expect(201);
    const agent = await api().post('/api/agents/register').set(bearer(minted.body.token as string)).send({ name: 'edge-1', publicKey: agentKeys().publicPem }).expect(201);
    await api().post(`/api/tenants/${id}/agents/${agent.body.agentId as string}/disable`).set(bearer(operator)).expect(200);
    const second = await api().post(`/api/tenants/${id}/bootstrap-tokens`).set(bearer(operator)).send({}).expect(201);
    await api().delete(`/api/tenants/${id}/bootstrap-tokens/${second.body.id as string}`).set(bearer(operator)).expect(204);
    // And the tenant admin acts too: that stays attributed to them.
    await api().post(`/api/tenants/${id}/bootstrap-tokens`).set(bearer(admin)).send({}).expect(201);
    const before = await rowCounts(testApp);

    const asAdmin = await api().get(`/api/tenants/${id}/audit-events?pageSize=100`).set(bearer(admin)).expect(200);
    const adminView = JSON.stringify(asAdmin.body);
    expect(adminView).not.toContain(OPERATOR_SUB);
    expect(adminView).not.toContain('operator:');
    const byPlatform = (asAdmin.body.items as { actor: string; action: string; sourceIp: string | null }[]).filter((event) => event.actor === 'platform');
    expect(byPlatform.map((event) => event.action).sort()).toEqual([
      'agent.disabled',
      'bootstrap_token.minted',
      'bootstrap_token.minted',
      'bootstrap_token.revoked',
      'license.issued',
      'tenant.created',
    ]);
    expect(byPlatform.every((event) => event.sourceIp === null)).toBe(true);
    expect(asAdmin.body.items).toContainEqual(expect.objectContaining({ actor: `user:admin-of-${slug}`, action: 'bootstrap_token.minted', sourceIp: '127.0.0.1' }));
    expect(asAdmin.body.items).toContainEqual(expect.objectContaining({ actor: `bootstrap_token:${minted.body.id as string}`, action: 'agent.registered', sourceIp: '127.0.0.1' }));

    // The same leak through the token and agent listings.
    const tokens = await api().get(`/api/tenants/${id}/bootstrap-tokens?pageSize=100`).set(bearer(admin)).expect(200);
    expect(JSON.stringify(tokens.body)).not.toContain(OPERATOR_SUB);
    expect(tokens.body.items).toContainEqual(expect.objectContaining({ id: second.body.id, createdBy: 'platform', revokedBy: 'platform' }));
    const agents = await api().get(`/api/tenants/${id}/agents`).set(bearer(admin)).expect(200);
    expect(agents.body.items).toEqual([expect.objectContaining({ id: agent.body.agentId, disabledBy: 'platform' })]);
    const again = await api().post(`/api/tenants/${id}/agents/${agent.body.agentId as string}/disable`).set(bearer(admin)).expect(200);
    expect(again.body.disabledBy).toBe('platform');

    const licenses = await api().get(`/api/tenants/${id}/licenses`).set(bearer(admin)).expect(200);
    expect(licenses.body.items).toEqual([expect.objectContaining({ issuedBy: 'platform' })]);
    expect((await api().get(`/api/tenants/${id}/license`).set(bearer(admin)).expect(200)).body.issuedBy).toBe('platform');

    // Operators see everything.
    const asOperator = await api().get(`/api/tenants/${id}/audit-events?pageSize=100`).set(bearer(operator)).expect(200);
    const byOperator = (asOperator.body.items as { actor: string; sourceIp: string | null }[]).filter((event) => event.actor === `operator:user:${OPERATOR_SUB}`);
    expect(byOperator).toHaveLength(6);
    expect(byOperator.every((event) => event.sourceIp === '127.0.0.1')).toBe(true);
    const operatorTokens = await api().get(`/api/tenants/${id}/bootstrap-tokens?pageSize=100`).set(bearer(operator)).expect(200);
    expect(operatorTokens.body.items).toContainEqual(expect.objectContaining({ id: second.body.id, createdBy: `operator:user:${OPERATOR_SUB}` }));
    const operatorLicenses = await api().get(`/api/tenants/${id}/licenses`).set(bearer(operator)).expect(200);
    expect(operatorLicenses.body.items).toEqual([expect.objectContaining({ issuedBy: `operator:user:${OPERATOR_SUB}` })]);

    // Reading changed nothing (the admin's repeated disable is a no-op that only re-announces).
    const after = await rowCounts(testApp);
    expect({ ...after, audit_events: before.audit_events }).toEqual(before);
  });
});
