import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { portOf } from '../support/hardening';
import { ProbeModule } from '../support/probe.module';
import { startTestApp, TestApp } from '../support/test-app';

/** A stand-in for Logto that counts readiness probes (GET /api/status). */
async function startCountingLogto(): Promise<{ url: string; statusCalls: () => number; close(): Promise<void> }> {
  let statusCalls = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/api/status') {
      statusCalls += 1;
      res.writeHead(204).end();
    } else if (req.url === '/oidc/jwks') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    statusCalls: () => statusCalls,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

// Finding 7: GET /api/health/ready is public; each call pinged the database and called Logto, unthrottled.
// Readiness is now computed at most once a second per replica (Logto probed at most every 5 s), concurrent
// callers share one computation, and the route is rate-limited.
describe('hardening: the public readiness probe does not amplify', () => {
  let logto: Awaited<ReturnType<typeof startCountingLogto>>;
  let testApp: TestApp;
  let databasePings = 0;

  beforeAll(async () => {
    logto = await startCountingLogto();
    testApp = await startTestApp(
      { LOGTO_ENDPOINT: logto.url, LOGTO_API_RESOURCE: 'https://api.cameleer.local', LOGTO_M2M_APP_ID: 'readiness', LOGTO_M2M_APP_SECRET: 'readiness-secret' },
      [ProbeModule],
    );
    const dataSource = testApp.app.get(DataSource);
    const query = dataSource.query.bind(dataSource);
    // Counts the readiness ping (Terminus sends exactly this statement) on the app's own connection pool.
    jest.spyOn(dataSource, 'query').mockImplementation((sql: string, ...rest: unknown[]) => {
      if (sql === 'SELECT 1') {
        databasePings += 1;
      }
      return query(sql, ...(rest as [unknown[] | undefined]));
    });
  });
  afterAll(async () => {
    await testApp?.close();
    await logto?.close();
  });

  it('answers a burst of 2,000 calls with a handful of upstream calls, and keeps answering other requests', async () => {
    const url = `http://127.0.0.1:${portOf(testApp)}/api/health/ready`;
    const statuses = new Map<number, number>();
    const startedAt = performance.now();
    let other: { live: number; echo: number } | undefined;
    for (let wave = 0; wave < 20; wave += 1) {
      const calls = Array.from({ length: 100 }, () => fetch(url).then(async (response) => (await response.arrayBuffer(), response.status)));
      if (wave === 10) {
        // In the middle of the burst, other routes still answer.
        const [live, echo] = await Promise.all([
          request(testApp.server).get('/api/health'),
          request(testApp.server).post('/api/probe/echo').send({ name: 'still here' }),
        ]);
        other = { live: live.status, echo: echo.status };
      }
      for (const status of await Promise.all(calls)) {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
    const elapsedSeconds = (performance.now() - startedAt) / 1000;

    expect([...statuses.keys()].sort()).toEqual([200, 429]);
    expect([...statuses.values()].reduce((sum, count) => sum + count, 0)).toBe(2000);
    expect(other).toEqual({ live: 200, echo: 201 });
    // At most one database ping per second of burst (plus the one in flight at the end), whatever got through the limit.
    expect(databasePings).toBeGreaterThanOrEqual(1);
    expect(databasePings).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1);
    // At most one Logto probe per five seconds.
    expect(logto.statusCalls()).toBeGreaterThanOrEqual(1);
    expect(logto.statusCalls()).toBeLessThanOrEqual(Math.ceil(elapsedSeconds / 5) + 1);
  });

  it('lets concurrent callers share one computation, and reports Logto as up', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const pingsBefore = databasePings;
    const startedAt = performance.now();
    const responses = await Promise.all(Array.from({ length: 10 }, () => request(testApp.server).get('/api/health/ready')));
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    for (const response of responses) {
      expect(response.status).toBe(200);
      expect(response.body.details).toMatchObject({ database: { status: 'up' }, logto: { status: 'up' } });
    }
    expect(databasePings - pingsBefore).toBeLessThanOrEqual(Math.ceil(elapsedSeconds));
  });

  it('rate-limits the route per client with 429 in the problem shape', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const responses = await Promise.all(Array.from({ length: 60 }, () => request(testApp.server).get('/api/health/ready')));
    const limited = responses.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
  });
});
