import request from 'supertest';
import { postRawJson, RawResponse, recordErrorLogs, rowCounts } from '../support/hardening';
import { ProbeModule } from '../support/probe.module';
import { startTestApp, TestApp } from '../support/test-app';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';

// Finding 8: NUL bytes and invalid UTF-8 reached PostgreSQL (which cannot store NUL in text) and came back as a
// 500, with the statement's parameters in the error log. They are now refused before any handler runs.
describe('hardening: NUL bytes, invalid UTF-8 and unpaired surrogates', () => {
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

  function expectRefused(response: request.Response | RawResponse): void {
    const header = (name: string) => (response.headers instanceof Headers ? response.headers.get(name) : (response.headers as Record<string, string>)[name]);
    expect(response.status).toBe(400);
    expect(header('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 400, code: 'INVALID_TEXT', requestId: header('x-request-id') });
  }

  it('the error-log recorder sees the error line a 500 writes (so its silence below means something)', async () => {
    await request(testApp.server).get('/api/probe/boom').expect(500);
    expect(errorLogs.lines).toHaveLength(1);
  });

  describe('in the URL (query strings and path parameters), before authentication', () => {
    it.each([
      ['a NUL in a query value', '/api/tenants?search=a%00b'],
      ['a NUL in a query key', '/api/tenants?a%00=1'],
      ['invalid UTF-8 in a query value', '/api/tenants?search=%FF%FE'],
      ['an encoded lone surrogate in a query value', '/api/tenants?search=%ED%A0%80'],
      ['a NUL in a path parameter', '/api/tenants/%00'],
      ['a NUL in a path parameter of a public route', '/api/health/ready%00'],
      ['invalid UTF-8 in a path parameter', '/api/tenants/%C3%28'],
      ['a truncated escape', '/api/tenants/abc%E2%82'],
    ])('refuses %s with 400 INVALID_TEXT, logs no error and writes nothing', async (_name, path) => {
      const before = await rowCounts(testApp);
      expectRefused(await request(testApp.server).get(path));
      expectRefused(await request(testApp.server).delete(path));
      expect(errorLogs.lines).toEqual([]);
      expect(await rowCounts(testApp)).toEqual(before);
    });

    it('still accepts encoded text that is valid (an encoded é, a space, a newline)', async () => {
      await request(testApp.server).get('/api/health?note=caf%C3%A9%20%0A').expect(200);
    });
  });

  describe('in JSON bodies (public token and registration routes, and a probe)', () => {
    const routes = ['/api/agents/token', '/api/agents/register', '/api/probe/echo'];
    const bodies: [string, Buffer][] = [
      ['an escaped NUL in a string', Buffer.from('{"name":"a\\u0000b","assertion":"x\\u0000"}')],
      ['an escaped NUL in a key', Buffer.from('{"na\\u0000me":"x"}')],
      ['an unpaired high surrogate', Buffer.from('{"name":"\\ud800x"}')],
      ['an unpaired low surrogate', Buffer.from('{"name":"x\\udfff"}')],
      ['a NUL deep inside an array', Buffer.from('{"name":"x","tags":[["ok","\\u0000"]]}')],
      ['invalid UTF-8 bytes in a string', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')])],
      ['an overlong UTF-8 encoding of "/"', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])],
      ['a UTF-8 encoded surrogate', Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
    ];

    it.each(routes.flatMap((route) => bodies.map(([name, body]) => [route, name, body] as const)))(
      'POST %s with %s → 400 INVALID_TEXT, no error log, nothing written',
      async (route, _name, body) => {
        const before = await rowCounts(testApp);
        expectRefused(await postRawJson(testApp, route, body));
        expect(errorLogs.lines).toEqual([]);
        expect(await rowCounts(testApp)).toEqual(before);
      },
    );

    it('still accepts astral characters (a valid surrogate pair) and a BOM-less UTF-8 body', async () => {
      await request(testApp.server).post('/api/probe/echo').send({ name: 'ok 🎉 ü' }).expect(201, { name: 'ok 🎉 ü' });
    });

    it('still refuses a raw control character in a string as malformed JSON', async () => {
      const response = await postRawJson(testApp, '/api/probe/echo', Buffer.from('{"name":"a\u0000b"}'));
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('MALFORMED_JSON');
    });
  });

  describe('as an authenticated operator, where the values would reach SQL', () => {
    let logto: TenantsIdp;
    let operatorApp: TestApp;
    let operator: string;

    beforeAll(async () => {
      logto = await startTenantsIdp();
      await logto.ensureOwnerRole();
      operatorApp = await startTestApp(logto.env());
      operator = await logto.operatorToken();
    });
    afterAll(async () => {
      await operatorApp?.close();
      await logto?.stop();
    });

    it.each([
      ['a NUL in the search term', '/api/tenants?q=a%00b'],
      ['invalid UTF-8 in the search term', '/api/tenants?q=%C0%AF'],
      ['a NUL after a tenant id', '/api/tenants/00000000-0000-4000-8000-000000000000%00'],
    ])('refuses %s with 400 INVALID_TEXT', async (_name, path) => {
      const before = await rowCounts(operatorApp);
      expectRefused(await request(operatorApp.server).get(path).set('authorization', `Bearer ${operator}`));
      expect(errorLogs.lines).toEqual([]);
      expect(await rowCounts(operatorApp)).toEqual(before);
    });

    it.each([
      ['a NUL in the name', { slug: 'nul-name', name: 'Acme\u0000Corp' }],
      ['a NUL in the owner', { slug: 'nul-owner', name: 'Acme', ownerUserId: 'carol\u0000' }],
      ['an unpaired surrogate in the name', { slug: 'surrogate', name: 'Acme \ud83d' }],
    ])('refuses a tenant with %s with 400 INVALID_TEXT and creates nothing', async (_name, body) => {
      const before = await rowCounts(operatorApp);
      // JSON.stringify writes NUL and an unpaired surrogate as \u escapes: valid JSON, invalid text.
      expectRefused(await request(operatorApp.server).post('/api/tenants').set('authorization', `Bearer ${operator}`).send(body));
      expect(errorLogs.lines).toEqual([]);
      expect(await rowCounts(operatorApp)).toEqual(before);
      expect((await logto.organizations()).map((organization) => organization.name)).not.toContain('Acme');
    });
  });
});
