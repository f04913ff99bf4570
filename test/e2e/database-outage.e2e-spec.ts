import request from 'supertest';
import { ProbeModule } from '../support/probe.module';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';
import { startTestApp, TestApp } from '../support/test-app';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { eventually } from '../support/tenant-fixtures';

describe('PostgreSQL outage while the app runs', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let testApp: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    const url = new URL(database.url);
    proxy = await startTcpProxy(url.hostname, Number(url.port));
    url.host = `127.0.0.1:${proxy.port}`;
    testApp = await startTestApp({ DATABASE_URL: url.toString(), DB_CONNECT_TIMEOUT_MS: '1000' }, [ProbeModule]);
  });
  afterAll(async () => {
    await testApp?.close();
    await proxy?.close();
    await database?.drop();
  });

  it('answers 503 in the problem shape during the outage, and recovers without a restart', async () => {
    await request(testApp.server).get('/api/probe/db').expect(200);

    proxy.outage();
    const during = await request(testApp.server).get('/api/probe/db').expect(503);
    expect(during.body).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE' });
    expect(during.headers['retry-after']).toBe('5');
    const ready = await request(testApp.server).get('/api/health/ready').expect(503);
    expect(ready.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE', detail: 'Not ready: database unavailable.' });
    // Liveness does not depend on the database.
    await request(testApp.server).get('/api/health').expect(200);

    proxy.restore();
    let recovered = false;
    for (let attempt = 0; attempt < 20 && !recovered; attempt += 1) {
      recovered = (await request(testApp.server).get('/api/probe/db')).status === 200;
    }
    expect(recovered).toBe(true);
    // Readiness is sampled at most once a second, so it may report the outage for up to a second more.
    await eventually(async () => ((await request(testApp.server).get('/api/health/ready')).status === 200 ? true : undefined), 10_000, 'readiness');
  });
});

// PostgreSQL unreachable at boot (retried for DB_BOOT_RETRY_SECONDS, then one line): test/e2e/boot-errors.e2e-spec.ts.
