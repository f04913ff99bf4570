import { generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, JWK, SignJWT } from 'jose';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';

const API_RESOURCE = 'https://api.claims.test';
const CLOCK_TOLERANCE_S = 30;

/** Issue 12: a Logto access token with a critical header extension, or issued in the future, is refused (real signatures, a real JWKS over HTTP). */
describe('hardening: Logto access tokens with crit or a future iat', () => {
  let server: Server;
  let endpoint: string;
  let testApp: TestApp;
  let privateKey: KeyObject;
  let kid: string;

  interface Shape {
    readonly header?: Record<string, unknown>;
    readonly iat?: number;
    readonly crit?: Record<string, boolean>;
  }

  const sign = ({ header = {}, iat = Math.floor(Date.now() / 1000), crit }: Shape = {}) =>
    new SignJWT({ client_id: 'c', scope: 'platform:read' })
      .setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid, ...header })
      .setIssuer(`${endpoint}/oidc`)
      .setAudience(API_RESOURCE)
      .setSubject('olivia')
      .setIssuedAt(iat)
      .setExpirationTime(iat + 600)
      .sign(privateKey, crit === undefined ? undefined : { crit });

  const me = (token: string) => request(testApp.server).get('/api/auth/me').auth(token, { type: 'bearer' });

  beforeAll(async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    privateKey = pair.privateKey;
    kid = randomBytes(16).toString('base64url');
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid, use: 'sig', alg: 'ES384' };
    server = createServer((req, res) => {
      if (req.url !== '/oidc/jwks') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    testApp = await startTestApp({ LOGTO_ENDPOINT: endpoint, LOGTO_API_RESOURCE: API_RESOURCE, LOGTO_CLOCK_TOLERANCE_S: String(CLOCK_TOLERANCE_S) });
  });

  afterAll(async () => {
    await testApp?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('accepts a plain token, and one issued in the future by less than the clock tolerance', async () => {
    await me(await sign()).expect(200);
    await me(await sign({ iat: Math.floor(Date.now() / 1000) + CLOCK_TOLERANCE_S / 3 })).expect(200);
  });

  it.each([
    ['crit naming an unknown extension', { header: { crit: ['x-cameleer-ext'], 'x-cameleer-ext': true }, crit: { 'x-cameleer-ext': true } }],
    ['crit naming b64 (which jose itself understands)', { header: { crit: ['b64'], b64: true } }],
  ] as const)('refuses a validly signed token with %s: 401 INVALID_TOKEN', async (_name, shape) => {
    const token = await sign(shape);
    const response = await me(token);
    expect({ status: response.status, code: response.body.code as unknown }).toEqual({ status: 401, code: 'INVALID_TOKEN' });
  });

  it('refuses a validly signed token whose iat is further in the future than the clock tolerance: 401 INVALID_TOKEN', async () => {
    for (const ahead of [CLOCK_TOLERANCE_S * 3, 3600, 365 * 86400]) {
      const response = await me(await sign({ iat: Math.floor(Date.now() / 1000) + ahead }));
      expect({ ahead, status: response.status, code: response.body.code as unknown }).toEqual({ ahead, status: 401, code: 'INVALID_TOKEN' });
    }
  });
});
