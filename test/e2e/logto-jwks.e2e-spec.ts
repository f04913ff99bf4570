import { generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { exportJWK, JWK, SignJWT } from 'jose';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/test-app';

const API_RESOURCE = 'https://api.jwks.test';
const REFETCH_COOLDOWN_MS = 2000;

interface IdpKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: JWK;
}

async function newKey(): Promise<IdpKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const kid = randomBytes(16).toString('base64url');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, use: 'sig', alg: 'ES384' } };
}

/** A stand-in for Logto's JWKS endpoint: what it publishes, whether it answers, and how often it was asked. */
class JwksServer {
  published: JWK[] = [];
  answering = true;
  fetches = 0;
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url !== '/oidc/jwks') {
        res.writeHead(404).end();
        return;
      }
      this.fetches += 1;
      if (!this.answering) {
        res.writeHead(503).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: this.published }));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server === undefined ? resolve() : this.server.close(() => resolve())));
  }
}

/** Polls `check` until it holds; fails when `within` ms pass first (the deadline is the contract). */
async function eventually(check: () => boolean | Promise<boolean>, { within }: { within: number }): Promise<void> {
  const deadline = Date.now() + within;
  for (;;) {
    if (await check()) {
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`condition not met within ${within} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("Logto's JWKS: fetched at boot, refreshed, refetched for an unknown kid with a short cooldown", () => {
  const jwks = new JwksServer();
  let endpoint: string;
  let testApp: TestApp;
  let current: IdpKey;

  const sign = (key: IdpKey, kid = key.kid) =>
    new SignJWT({ client_id: 'c', scope: 'platform:read' })
      .setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid })
      .setIssuer(`${endpoint}/oidc`)
      .setAudience(API_RESOURCE)
      .setSubject('olivia')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);

  const me = async (token: string) => (await request(testApp.server).get('/api/auth/me').auth(token, { type: 'bearer' })).status;

  beforeAll(async () => {
    endpoint = await jwks.start();
    current = await newKey();
    jwks.published = [current.jwk];
    // Logto is down while the API boots: the boot must not fail.
    jwks.answering = false;
    testApp = await startTestApp({
      LOGTO_ENDPOINT: endpoint,
      LOGTO_API_RESOURCE: API_RESOURCE,
      LOGTO_JWKS_REFETCH_COOLDOWN_MS: String(REFETCH_COOLDOWN_MS),
      // The flood below is about the JWKS policy, not about the per-IP rate limit in front of it.
      RATE_LIMIT_MAX: '1000000',
    });
  });
  afterAll(async () => {
    await testApp?.close();
    await jwks.stop();
  });

  it('boots while the JWKS is unreachable, and accepts tokens once it answers', async () => {
    // The boot fetch found Logto down; tokens are refused meanwhile (nothing to verify them with).
    await eventually(() => jwks.fetches >= 1, { within: 5000 });
    expect(await me(await sign(current))).toBe(401);
    jwks.answering = true;
    await eventually(async () => (await me(await sign(current))) === 200, { within: 5000 });
  });

  it('after a flood of garbage tokens with random kids, verifies a token signed by a newly published key within 5 s', async () => {
    const fetchesBefore = jwks.fetches;
    const floodStarted = Date.now();
    const statuses: number[] = [];
    for (let batch = 0; batch < 16; batch += 1) {
      const tokens = await Promise.all(Array.from({ length: 25 }, () => sign(current, randomBytes(12).toString('base64url'))));
      statuses.push(...(await Promise.all(tokens.map(me))));
    }
    const floodMs = Date.now() - floodStarted;
    expect(new Set(statuses)).toEqual(new Set([401]));
    // One refetch per cooldown at most (plus one in flight when the flood started), however many kids were made up.
    expect(jwks.fetches - fetchesBefore).toBeLessThanOrEqual(Math.ceil(floodMs / REFETCH_COOLDOWN_MS) + 1);

    // Rotation: Logto publishes a new key and signs with it.
    const rotated = await newKey();
    jwks.published = [current.jwk, rotated.jwk];
    const token = await sign(rotated);
    await eventually(async () => (await me(token)) === 200, { within: 5000 });
    // The old key is still published, so its tokens keep working.
    expect(await me(await sign(current))).toBe(200);
  });

  it('keeps the last good key set when the JWKS answers with nothing usable', async () => {
    jwks.published = [{ kty: 'oct', k: 'c2VjcmV0', kid: 'hmac' }];
    const fetchesBefore = jwks.fetches;
    // An unknown kid makes the API ask again (after the cooldown); the useless answer changes nothing.
    await eventually(
      async () => {
        await me(await sign(current, 'made-up-kid'));
        return jwks.fetches > fetchesBefore;
      },
      { within: 5000 },
    );
    expect(await me(await sign(current))).toBe(200);
  });
});
