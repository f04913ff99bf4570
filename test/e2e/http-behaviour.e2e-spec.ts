import request from 'supertest';
import { ProbeModule } from '../support/probe.module';
import { startTestApp, TestApp } from '../support/test-app';

const problemShape = (status: number, code: string) => ({
  type: `urn:cameleer:problem:${code.toLowerCase().replace(/_/g, '-')}`,
  title: expect.any(String),
  status,
  detail: expect.any(String),
  code,
  requestId: expect.any(String),
});

describe('HTTP behaviour every endpoint inherits', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await startTestApp({}, [ProbeModule]);
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it('answers liveness and readiness', async () => {
    await request(testApp.server).get('/api/health').expect(200, { status: 'ok' });
    const ready = await request(testApp.server).get('/api/health/ready').expect(200);
    expect(ready.body.details.database.status).toBe('up');
  });

  it('answers an unknown route with 404 in the problem shape', async () => {
    const response = await request(testApp.server).get('/api/does-not-exist').expect(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toEqual({ ...problemShape(404, 'NOT_FOUND'), requestId: response.headers['x-request-id'] });
  });

  it('accepts a valid JSON body', async () => {
    await request(testApp.server).post('/api/probe/echo').send({ name: 'ok', count: 2 }).expect(201, { name: 'ok', count: 2 });
  });

  it('answers malformed JSON with 400 MALFORMED_JSON', async () => {
    const response = await request(testApp.server).post('/api/probe/echo').set('Content-Type', 'application/json').send('{"name":').expect(400);
    expect(response.body).toEqual(problemShape(400, 'MALFORMED_JSON'));
  });

  it('refuses unknown fields and wrong types with 400 VALIDATION_FAILED listing each field', async () => {
    const response = await request(testApp.server).post('/api/probe/echo').send({ name: 5, extra: true }).expect(400);
    expect(response.body).toMatchObject(problemShape(400, 'VALIDATION_FAILED'));
    const fields = (response.body.errors as { field: string }[]).map((error) => error.field).sort();
    expect(fields).toEqual(['extra', 'name']);
  });

  it('refuses prototype-polluting JSON', async () => {
    const response = await request(testApp.server)
      .post('/api/probe/echo')
      .set('Content-Type', 'application/json')
      .send('{"name":"x","__proto__":{"admin":true}}')
      .expect(400);
    expect(response.body.status).toBe(400);
  });

  it('answers a body over the limit with 413', async () => {
    const response = await request(testApp.server).post('/api/probe/echo').send({ name: 'x'.repeat(70 * 1024) }).expect(413);
    expect(response.body).toEqual(problemShape(413, 'PAYLOAD_TOO_LARGE'));
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/xml'])('answers a %s body on a JSON route with 415', async (type) => {
    const response = await request(testApp.server).post('/api/probe/echo').set('Content-Type', type).send('name=x').expect(415);
    expect(response.body).toEqual(problemShape(415, 'UNSUPPORTED_MEDIA_TYPE'));
  });

  it('hides internal errors behind an error id', async () => {
    const response = await request(testApp.server).get('/api/probe/boom').expect(500);
    expect(response.body).toEqual({ ...problemShape(500, 'INTERNAL_ERROR'), errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(JSON.stringify(response.body)).not.toMatch(/hunter2|secret\.ts|at /);
  });

  it('rate-limits with 429 in the problem shape', async () => {
    await request(testApp.server).get('/api/probe/limited').expect(200);
    await request(testApp.server).get('/api/probe/limited').expect(200);
    const response = await request(testApp.server).get('/api/probe/limited').expect(429);
    expect(response.body).toEqual(problemShape(429, 'RATE_LIMITED'));
  });

  it('echoes a sane X-Request-Id and replaces a hostile one', async () => {
    const kept = await request(testApp.server).get('/api/health').set('X-Request-Id', 'abc-123.def').expect(200);
    expect(kept.headers['x-request-id']).toBe('abc-123.def');
    const replaced = await request(testApp.server).get('/api/health').set('X-Request-Id', `bad id <script>${'x'.repeat(300)}`).expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets security headers and no CORS grant by default', async () => {
    const response = await request(testApp.server).get('/api/health').set('Origin', 'https://evil.example').expect(200);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('serves the OpenAPI document and UI', async () => {
    const json = await request(testApp.server).get('/api/openapi.json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toContain('/api/health');
    const ui = await request(testApp.server).get('/api/docs').expect(200);
    // Over plain HTTP outside production the UI's scripts and styles are not upgraded to an HTTPS the host may not serve.
    expect(ui.headers['content-security-policy']).toContain("script-src 'self'");
    expect(ui.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
  });
});

describe('CORS', () => {
  let testApp: TestApp;
  beforeAll(async () => {
    testApp = await startTestApp({ CORS_ORIGINS: 'https://console.example.com' });
  });
  afterAll(async () => {
    await testApp?.close();
  });

  it('grants only the configured origins', async () => {
    const allowed = await request(testApp.server).get('/api/health').set('Origin', 'https://console.example.com').expect(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://console.example.com');
    const denied = await request(testApp.server).get('/api/health').set('Origin', 'https://evil.example').expect(200);
    expect(denied.headers['access-control-allow-origin']).toBeUndefined();
  });
});
