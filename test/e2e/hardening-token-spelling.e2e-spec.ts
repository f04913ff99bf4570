import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ForwardAuthServer } from '@app/forward-auth';
import { MachineTokenService } from '@app/security';
import { AgentKeys, agentKeys, countRows, signAssertion } from '../support/agent-fixtures';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

const BASE = 'spelling.cameleer.test';
const PUBLIC_URL = 'http://127.0.0.1:3000';
const ASSERTION_AUD = `${PUBLIC_URL}/api/agents/token`;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Other spellings of the same compact JWS that a lenient base64url decoder (jose's) reads as the same bytes: the last
 * signature character with an unused bit flipped, a trailing `=`, and the standard alphabet's `+`/`/` for `-`/`_`.
 */
function respellings(token: string): Record<string, string> {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const last = signature.at(-1) ?? '';
  const flipped = `${signature.slice(0, -1)}${BASE64URL[BASE64URL.indexOf(last) ^ 1] ?? ''}`;
  const standard = signature.replace(/-/g, '+').replace(/_/g, '/');
  expect(standard).not.toBe(signature);
  return {
    'padding bits flipped': `${header}.${payload}.${flipped}`,
    'trailing =': `${token}=`,
    'standard alphabet (+ /)': `${header}.${payload}.${standard}`,
  };
}

/** Whether the signature has a - or _ to respell (one in about 15 Ed25519 signatures has none). */
const respellable = (token: string) => /[-_]/.test(token.split('.')[2] ?? '');

/** Issue 12 #3: a machine token or an agent assertion is accepted in exactly one spelling, on the API and both forward-auth ports. */
describe('hardening: one spelling per token', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let machine: MachineTokenService;
  let forwardAuthPort: number;
  let tenant: { id: string; slug: string };
  let agent: { id: string; accessToken: string; keys: AgentKeys };

  const api = () => request(testApp.server);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const ports = () =>
    [
      ['main port', () => request(testApp.server)],
      ['forward-auth port', () => request(`http://127.0.0.1:${forwardAuthPort}`)],
    ] as const;

  beforeAll(async () => {
    logto = await startTenantsIdp();
    testApp = await startTestApp(logto.env({ TENANT_BASE_DOMAIN: BASE, FORWARD_AUTH_PORT: '0', FORWARD_AUTH_HOST: '127.0.0.1', AGENT_RATE_LIMIT_MAX: '100000', PUBLIC_URL }));
    machine = testApp.app.get(MachineTokenService);
    forwardAuthPort = testApp.app.get(ForwardAuthServer).port ?? 0;
    const operator = await logto.operatorToken();
    const slug = `sp-${randomUUID().slice(0, 8)}`;
    const created = await api().post('/api/tenants').set(bearer(operator)).send({ slug, name: 'Spelling' }).expect(201);
    tenant = { id: created.body.id as string, slug };
    await api().post(`/api/tenants/${tenant.id}/license`).set(bearer(operator)).send({ tier: 'pro', limits: { maxAgents: 5 } }).expect(201);
    const minted = await api().post(`/api/tenants/${tenant.id}/bootstrap-tokens`).set(bearer(operator)).send({}).expect(201);
    const keys = agentKeys();
    const registered = await api()
      .post('/api/agents/register')
      .set(bearer(minted.body.token as string))
      .send({ name: 'speller', publicKey: keys.publicPem })
      .expect(201);
    const agentId = registered.body.agentId as string;
    let accessToken = registered.body.accessToken as string;
    for (let attempt = 0; attempt < 20 && !respellable(accessToken); attempt++) {
      const refreshed = await api()
        .post('/api/agents/token')
        .send({ assertion: await signAssertion(agentId, keys, { audience: ASSERTION_AUD }) })
        .expect(200);
      accessToken = refreshed.body.accessToken as string;
    }
    agent = { id: agentId, accessToken, keys };
  });

  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  it('refuses every other spelling of a valid agent token at the API and at /api/auth/verify on both ports', async () => {
    const variants = respellings(agent.accessToken);
    for (const [name, variant] of Object.entries(variants)) {
      // The attack is real: the signature itself still verifies under a lenient decoder.
      await expect(machine.verify('agent', variant)).resolves.toMatchObject({ subject: agent.id });
      const me = await api().get('/api/agents/me').set(bearer(variant));
      expect({ name, status: me.status, code: me.body.code as unknown }).toEqual({ name, status: 401, code: 'INVALID_TOKEN' });
      for (const [port, on] of ports()) {
        const verdict = await on().get('/api/auth/verify').set('X-Forwarded-Host', `${tenant.slug}.${BASE}`).set(bearer(variant));
        expect({ name, port, status: verdict.status, subject: verdict.headers['x-cameleer-subject'] }).toEqual({ name, port, status: 401, subject: undefined });
      }
    }
    // The one canonical spelling still works everywhere.
    await api().get('/api/agents/me').set(bearer(agent.accessToken)).expect(200);
    for (const [, on] of ports()) {
      const verdict = await on().get('/api/auth/verify').set('X-Forwarded-Host', `${tenant.slug}.${BASE}`).set(bearer(agent.accessToken)).expect(200);
      expect(verdict.headers['x-cameleer-subject']).toBe(agent.id);
    }
  });

  it('refuses every other spelling of an agent assertion without spending its jti', async () => {
    let assertion = await signAssertion(agent.id, agent.keys, { audience: ASSERTION_AUD });
    for (let attempt = 0; attempt < 20 && !respellable(assertion); attempt++) {
      assertion = await signAssertion(agent.id, agent.keys, { audience: ASSERTION_AUD });
    }
    const refreshed = () => countRows(testApp.database.url, 'audit_events', `tenant_id = $1 AND action = 'agent.token_refreshed'`, [tenant.id]);
    const jtis = () => countRows(testApp.database.url, 'agent_assertion_jtis', 'agent_id = $1', [agent.id]);
    const before = { refreshed: await refreshed(), jtis: await jtis() };
    for (const [name, variant] of Object.entries(respellings(assertion))) {
      const response = await api().post('/api/agents/token').send({ assertion: variant });
      expect({ name, status: response.status, token: response.body.accessToken as unknown }).toEqual({ name, status: 401, token: undefined });
    }
    expect({ refreshed: await refreshed(), jtis: await jtis() }).toEqual(before);
    // The canonical spelling was never consumed: it still buys exactly one token.
    await api().post('/api/agents/token').send({ assertion }).expect(200);
    await api().post('/api/agents/token').send({ assertion }).expect(401);
  });
});
