import supertest from 'supertest';
import { ForwardAuthServer } from '@app/forward-auth';
import { portOf } from '../support/hardening';
import { rawHttp } from '../support/raw-http';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

const BASE = 'verify-path.cameleer.test';

// Issue 12: the main port answered `/api/auth/%76erify` as the verify path, a spelling a proxy's path rule may not
// recognise as the excluded one. Only the exact spelling is the verify path now, on both ports; the compose
// side (Traefik normalises the path before its rules see it) is test/deploy/compose-stack.spec.ts.
describe('hardening: the verify path has one spelling', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let headers: Record<string, string>;

  beforeAll(async () => {
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    testApp = await startTestApp(logto.env({ TENANT_BASE_DOMAIN: BASE, FORWARD_AUTH_PORT: '0', FORWARD_AUTH_HOST: '127.0.0.1' }));
    const operator = await logto.operatorToken();
    await supertest(testApp.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug: 'spelling', name: 'Spelling' }).expect(201);
    headers = { authorization: `Bearer ${operator}`, 'x-forwarded-host': `spelling.${BASE}` };
  });
  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  const ports = (): [string, number][] => [
    ['main port', portOf(testApp)],
    ['forward-auth port', testApp.app.get(ForwardAuthServer).port as number],
  ];

  it('answers the exact spelling with the identity headers on both ports (so a 404 below is about the spelling)', async () => {
    for (const [name, port] of ports()) {
      for (const path of ['/api/auth/verify', '/api/auth/verify?x=1']) {
        const answer = await rawHttp(port, { method: 'GET', path, headers });
        expect({ name, path, status: answer.status, tenant: typeof answer.headers['x-cameleer-tenant-slug'] }).toEqual({ name, path, status: 200, tenant: 'string' });
      }
    }
  });

  it.each([
    '/api/auth/%76erify',
    '/api/auth/verif%79',
    '/api/auth/%76%65%72%69%66%79',
    '/%61pi/auth/verify',
    '/api/auth//verify',
    '/API/auth/verify',
    '/api/auth/VERIFY',
    '/api/auth/verify/',
    '/api/./auth/verify',
    '/api/auth/./verify',
    '/api/x/../auth/verify',
    '/api/auth%2Fverify',
    '/api/auth/verify%3F',
    '/api/auth/verify;x',
  ])('never answers %s as the verify path, on either port: 404 problem+json, no identity header', async (path) => {
    for (const [name, port] of ports()) {
      const answer = await rawHttp(port, { method: 'GET', path, headers });
      const identity = Object.keys(answer.headers).filter((header) => header.startsWith('x-cameleer-'));
      expect({ name, status: answer.status, identity }).toEqual({ name, status: 404, identity: [] });
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    }
  });
});
