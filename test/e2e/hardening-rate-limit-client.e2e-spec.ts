import request from 'supertest';
import { rowCounts } from '../support/hardening';
import { startTestApp, TestApp } from '../support/test-app';

// Finding 1: the global limiter keyed on the socket peer, which behind Traefik is always Traefik: one client over
// the limit locked a route for everyone. Every limiter (the app's default, readiness, the agent routes) now keys on
// the client address resolved through TRUSTED_PROXIES (clientRateLimitKey), and only a trusted peer's
// X-Forwarded-For is believed.
const LIMITS = { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_MS: '60000', AGENT_RATE_LIMIT_MAX: '3', AGENT_RATE_LIMIT_WINDOW_MS: '60000' };

describe('hardening: rate limits key on the client behind a trusted proxy', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    // The test client connects from 127.0.0.1: it plays Traefik.
    testApp = await startTestApp({ ...LIMITS, TRUSTED_PROXIES: '127.0.0.1' });
  });
  afterAll(async () => {
    await testApp?.close();
  });

  const from = (path: string, client: string) => request(testApp.server).get(path).set('X-Forwarded-For', client);

  it.each(['/api/tenants', '/api/auth/me'])('%s: one forwarded client over the limit gets 429, another is unaffected', async (path) => {
    const before = await rowCounts(testApp);
    for (let i = 0; i < 3; i++) {
      expect((await from(path, '198.51.100.1')).status).toBe(401);
    }
    const limited = await from(path, '198.51.100.1');
    expect(limited.status).toBe(429);
    expect(limited.headers['retry-after']).toEqual(expect.any(String));
    expect(limited.body).toMatchObject({ status: 429 });
    // Another client through the same proxy keeps its whole budget; a spoofed left-most hop is still the first client.
    expect((await from(path, '198.51.100.2')).status).toBe(401);
    expect((await from(path, '198.51.100.2, 198.51.100.1')).status).toBe(429);
    expect((await from(path, '203.0.113.50, 198.51.100.3')).status).toBe(401);
    expect(await rowCounts(testApp)).toEqual(before);
  });

  it('the agent routes: one forwarded client over their budget gets 429, another is unaffected', async () => {
    const token = (client: string) => request(testApp.server).post('/api/agents/token').set('X-Forwarded-For', client).send({ assertion: 'a.b.c' });
    for (let i = 0; i < 3; i++) {
      expect((await token('198.51.100.11')).status).toBe(401);
    }
    expect((await token('198.51.100.11')).status).toBe(429);
    expect((await token('198.51.100.12')).status).toBe(401);
  });

  it('readiness: a flood from one forwarded client does not throttle another', async () => {
    const flood = await Promise.all(Array.from({ length: 30 }, () => from('/api/health/ready', '198.51.100.21')));
    const other = await from('/api/health/ready', '198.51.100.22');
    expect(flood.some((response) => response.status === 429)).toBe(true);
    expect(other.status).not.toBe(429);
  });
});

describe('hardening: a client that is not behind a trusted proxy cannot choose its rate-limit key', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    // The peer (127.0.0.1) is not a trusted proxy: X-Forwarded-For is the client's own claim.
    testApp = await startTestApp({ ...LIMITS, TRUSTED_PROXIES: '10.0.0.0/8' });
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it('every X-Forwarded-For it sends counts against its own address', async () => {
    const before = await rowCounts(testApp);
    for (let i = 0; i < 3; i++) {
      expect((await request(testApp.server).get('/api/tenants').set('X-Forwarded-For', `198.51.100.${i + 30}`)).status).toBe(401);
    }
    expect((await request(testApp.server).get('/api/tenants').set('X-Forwarded-For', '198.51.100.99')).status).toBe(429);
    expect((await request(testApp.server).get('/api/tenants')).status).toBe(429);
    expect(await rowCounts(testApp)).toEqual(before);
  });
});
