import request from 'supertest';
import { recordErrorLogs, rowCounts } from '../support/hardening';
import { ProbeModule } from '../support/probe.module';
import { startTestApp, TestApp } from '../support/test-app';

// Finding 4: a deeply nested JSON body on a public route (POST /api/agents/token) gave an unauthenticated 500
// with an error-level stack trace. The body's depth is now bounded (32 levels) before it is parsed.
describe('hardening: deeply nested JSON bodies', () => {
  let testApp: TestApp;
  let errorLogs: ReturnType<typeof recordErrorLogs>;

  beforeAll(async () => {
    testApp = await startTestApp({}, [ProbeModule]);
  });
  beforeEach(() => {
    errorLogs = recordErrorLogs();
  });
  afterEach(() => {
    errorLogs.restore();
  });
  afterAll(async () => {
    await testApp?.close();
  });

  const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  const objects = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

  it.each([
    ['arrays, 30 000 deep (as deep as the body limit allows)', arrays(30_000)],
    ['objects, 10 000 deep', objects(10_000)],
    ['arrays inside an object member, 33 deep', `{"assertion":${arrays(32)}}`],
    ['objects, 33 deep', objects(33)],
  ])('answers %s on the public token route with 400 JSON_TOO_DEEP, logs no error and writes nothing', async (_name, body) => {
    const before = await rowCounts(testApp);
    const response = await request(testApp.server).post('/api/agents/token').set('Content-Type', 'application/json').send(body).expect(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 400, code: 'JSON_TOO_DEEP', requestId: response.headers['x-request-id'] });
    expect(errorLogs.lines).toEqual([]);
    expect(await rowCounts(testApp)).toEqual(before);
  });

  it('counts brackets inside strings as text, not nesting', async () => {
    const name = '['.repeat(40);
    await request(testApp.server).post('/api/probe/echo').send({ name }).expect(201, { name });
  });

  it('still parses a body 32 levels deep (validation then judges it)', async () => {
    const response = await request(testApp.server).post('/api/probe/echo').set('Content-Type', 'application/json').send(`{"name":"x","count":${arrays(31)}}`).expect(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
  });

  it('answers other requests while deep bodies arrive', async () => {
    const attacks = Array.from({ length: 20 }, () => request(testApp.server).post('/api/agents/token').set('Content-Type', 'application/json').send(arrays(30_000)));
    const [live] = await Promise.all([request(testApp.server).get('/api/health'), ...attacks]);
    expect(live.status).toBe(200);
    for (const attack of await Promise.all(attacks)) {
      expect(attack.status).toBe(400);
    }
  });
});
