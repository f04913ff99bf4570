import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ForwardAuthServer } from '@app/forward-auth';
import { MetricsServer } from '@app/service-core';
import { startTestApp, TestApp } from '../support/test-app';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';

const BASE = 'metrics.test';

/** One sample's value from the exposition text, 0 when the series is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] === name && wanted.every((pair) => (match[2] ?? '').split(',').includes(pair))) {
      return Number(match[3]);
    }
  }
  return 0;
}

/** Issue 14: GET /metrics in Prometheus text format on METRICS_PORT only; the values move with traffic. */
describe('metrics', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;
  let owner: string;
  let metricsUrl: string;
  let verifyUrl: string;

  const api = () => request(testApp.server);
  const scrape = async (): Promise<string> => {
    const response = await fetch(metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  const verify = (token: string | undefined, slug: string) =>
    fetch(verifyUrl, { headers: { 'x-forwarded-host': `${slug}.${BASE}`, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) } });

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    owner = await logto.createUser('hana');
    testApp = await startTestApp(
      logto.env({ TENANT_BASE_DOMAIN: BASE, FORWARD_AUTH_PORT: '0', FORWARD_AUTH_HOST: '127.0.0.1', METRICS_PORT: '0', METRICS_HOST: '127.0.0.1' }),
    );
    operator = await logto.operatorToken();
    metricsUrl = `http://127.0.0.1:${testApp.app.get(MetricsServer).port}/metrics`;
    verifyUrl = `http://127.0.0.1:${testApp.app.get(ForwardAuthServer).port}/api/auth/verify`;
  });
  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  it('counts requests by route template, forward-auth decisions and cache lookups, token verifications and Logto calls', async () => {
    const before = await scrape();
    const slug = `met-${randomUUID().slice(0, 8)}`;
    const created = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug, name: 'Metered', ownerUserId: owner }).expect(201);
    const id = created.body.id as string;
    await api().get(`/api/tenants/${id}`).set('authorization', `Bearer ${operator}`).expect(200);
    await api().get(`/api/tenants/${randomUUID()}`).set('authorization', `Bearer ${operator}`).expect(404);
    await api().get(`/api/no-such-route/${randomUUID()}`).expect(404);

    expect((await verify(operator, slug)).status).toBe(200);
    expect((await verify(operator, slug)).status).toBe(200);
    expect((await verify(undefined, slug)).status).toBe(401);
    expect((await verify(operator, 'no-such-tenant')).status).toBe(404);
    const after = await scrape();
    const delta = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);

    // Route templates, never raw URLs (no id of a request is a label value).
    expect(delta('cameleer_http_request_duration_seconds_count', { method: 'GET', route: '/api/tenants/:id', status: '200' })).toBe(1);
    expect(delta('cameleer_http_request_duration_seconds_count', { method: 'GET', route: '/api/tenants/:id', status: '404' })).toBe(1);
    expect(delta('cameleer_http_request_duration_seconds_count', { method: 'POST', route: '/api/tenants', status: '201' })).toBe(1);
    expect(delta('cameleer_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBe(1);
    expect(after).not.toContain(id);
    expect(after).not.toContain('no-such-route');

    expect(delta('cameleer_forward_auth_decisions_total', { outcome: 'allow' })).toBe(2);
    expect(delta('cameleer_forward_auth_decisions_total', { outcome: 'unauthenticated' })).toBe(1);
    expect(delta('cameleer_forward_auth_decisions_total', { outcome: 'not_found' })).toBe(1);
    // The second call and the unknown host found the operator's token cached.
    expect(delta('cameleer_forward_auth_cache_lookups_total', { cache: 'token', result: 'hit' })).toBe(2);
    expect(delta('cameleer_forward_auth_cache_lookups_total', { cache: 'tenant', result: 'hit' })).toBe(1);
    expect(delta('cameleer_token_verifications_total', { kind: 'logto', result: 'valid' })).toBeGreaterThanOrEqual(4);
    expect(delta('cameleer_logto_management_request_duration_seconds_count', { outcome: 'ok' })).toBeGreaterThanOrEqual(1);

    expect(after).toMatch(/^cameleer_db_pool_connections\{state="idle"\} \d+$/m);
    expect(after).toMatch(/^cameleer_tenant_sync_backlog\{state="due"\} \d+$/m);
    expect(after).toMatch(/^cameleer_tenant_sync_failures_total\{kind="transient"\} \d+$/m);
  });

  it('shows license expiries ahead', async () => {
    const slug = `exp-${randomUUID().slice(0, 8)}`;
    const created = await api().post('/api/tenants').set('authorization', `Bearer ${operator}`).send({ slug, name: 'Expiring', ownerUserId: owner }).expect(201);
    const before = await scrape();
    await api().post(`/api/tenants/${created.body.id as string}/license`).set('authorization', `Bearer ${operator}`).send({ tier: 'pro', validDays: 5 }).expect(201);
    const after = await scrape();
    for (const within of ['7d', '30d', '90d']) {
      expect({ within, delta: sample(after, 'cameleer_license_expiries', { within }) - sample(before, 'cameleer_license_expiries', { within }) }).toEqual({ within, delta: 1 });
    }
  });

  it('is served only on METRICS_PORT: not on the main port, and only GET /metrics there', async () => {
    await api().get('/metrics').expect(404);
    await api().get('/api/metrics').expect(404);
    expect((await fetch(metricsUrl.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(`${metricsUrl}/x`)).status).toBe(404);
    expect((await fetch(metricsUrl, { method: 'POST' })).status).toBe(404);
  });
});
