import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createRemoteJWKSet, decodeJwt, jwtVerify, JWTVerifyOptions } from 'jose';
import request from 'supertest';
import { ForwardAuthServer } from '@app/forward-auth';
import { licensedTenantWithAgent, LicensedTenantWithAgent } from '../support/agent-fixtures';
import { itWithTool } from '../support/requires-tool';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { startEchoUpstream, startTraefikLikeProxy, TraefikLikeProxy } from '../support/traefik-like-proxy';

const BASE = 'tenants.cameleer.test';
const PUBLIC_URL = 'https://api.cameleer.test';
const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);

/**
 * X-Cameleer-Identity as an upstream sees it: through the Traefik-like proxy, verified the way
 * docs/forward-auth-headers.md tells cameleer3-server to (the platform JWKS fetched over HTTP, EdDSA only,
 * iss = PUBLIC_URL, aud = its own host, typ identity+jwt).
 */
describe('X-Cameleer-Identity through a proxy that behaves like Traefik', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let upstream: { url: string; close(): Promise<void> };
  let proxy: TraefikLikeProxy;
  let operator: string;
  let tenant: LicensedTenantWithAgent;
  let platformJwks: ReturnType<typeof createRemoteJWKSet>;

  const host = () => `${tenant.slug}.${BASE}`;
  const verifyAs = (audience: string, extra: JWTVerifyOptions = {}) => ({ algorithms: ['EdDSA'], typ: 'identity+jwt', issuer: PUBLIC_URL, audience, ...extra });

  async function assertionFor(token: string, slug = tenant.slug, extraHeaders: Record<string, string> = {}): Promise<string> {
    const response = await request(proxy.url).get('/').set('Host', `${slug}.${BASE}`).set('Authorization', `Bearer ${token}`).set(extraHeaders).expect(200);
    const assertion = (response.body as { headers: Record<string, string> }).headers['x-cameleer-identity'];
    expect(assertion).toEqual(expect.any(String));
    return assertion as string;
  }

  beforeAll(async () => {
    logto = await startTenantsIdp();
    testApp = await startTestApp(logto.env({ TENANT_BASE_DOMAIN: BASE, FORWARD_AUTH_PORT: '0', FORWARD_AUTH_HOST: '127.0.0.1', PUBLIC_URL }));
    operator = await logto.operatorToken();
    tenant = await licensedTenantWithAgent(testApp.server, logto.idp, operator, 'idas');
    upstream = await startEchoUpstream();
    const forwardAuthPort = testApp.app.get(ForwardAuthServer).port;
    proxy = await startTraefikLikeProxy({ authAddress: `http://127.0.0.1:${forwardAuthPort}/api/auth/verify`, upstream: upstream.url, authResponseHeadersRegex: /^x[-_]cameleer[-_]/i });
    platformJwks = createRemoteJWKSet(new URL('/.well-known/platform-jwks.json', await testApp.app.getUrl()));
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
    await testApp?.close();
    await logto?.stop();
  });

  it('vouches for a member: verifies against the platform JWKS over HTTP, for this host only, ≤ 60 s', async () => {
    const assertion = await assertionFor(tenant.tokens.member);
    const { payload, protectedHeader } = await jwtVerify(assertion, platformJwks, verifyAs(host()));
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', typ: 'identity+jwt' });
    expect(payload).toEqual({
      iss: PUBLIC_URL,
      aud: host(),
      sub: `member-of-${tenant.slug}`,
      iat: expect.any(Number),
      exp: expect.any(Number),
      principal: 'user',
      tenant_id: tenant.id,
      tenant_slug: tenant.slug,
      scope: 'tenant:read',
      license_tier: 'pro',
    });
    expect(payload.exp! - payload.iat!).toBeGreaterThan(0);
    expect(payload.exp! - payload.iat!).toBeLessThanOrEqual(60);
    // Another tenant's upstream (another audience) refuses it.
    await expect(jwtVerify(assertion, platformJwks, verifyAs(`other.${BASE}`))).rejects.toMatchObject({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
  });

  it('vouches for an operator (platform scopes) and an agent (principal agent, no scopes)', async () => {
    const asOperator = (await jwtVerify(await assertionFor(operator), platformJwks, verifyAs(host()))).payload;
    expect(asOperator).toMatchObject({ principal: 'user', scope: 'platform:read platform:write', tenant_id: tenant.id, license_tier: 'pro' });
    const asAgent = (await jwtVerify(await assertionFor(tenant.tokens.agent), platformJwks, verifyAs(host()))).payload;
    expect(asAgent).toMatchObject({ sub: tenant.agentId, principal: 'agent', scope: '', tenant_id: tenant.id, tenant_slug: tenant.slug });
    expect(asAgent).not.toHaveProperty('sid');
  });

  it('replaces a client-sent X-Cameleer-Identity with its own', async () => {
    const assertion = await assertionFor(tenant.tokens.member, tenant.slug, { 'X-Cameleer-Identity': 'forged', X_Cameleer_Identity: 'forged' });
    expect(assertion).not.toBe('forged');
    await expect(jwtVerify(assertion, platformJwks, verifyAs(host()))).resolves.toBeDefined();
  });

  it('serves the same assertion to a warm caller (re-signed only near expiry)', async () => {
    const first = await assertionFor(tenant.tokens.member);
    expect(await assertionFor(tenant.tokens.member)).toBe(first);
  });

  it('is refused by a verifier once expired', async () => {
    const assertion = await assertionFor(tenant.tokens.member);
    const { exp } = decodeJwt(assertion);
    await expect(jwtVerify(assertion, platformJwks, verifyAs(host(), { currentDate: new Date((exp! + 1) * 1000) }))).rejects.toMatchObject({ code: 'ERR_JWT_EXPIRED' });
  });

  it('does not verify as a license (the license JWKS knows no platform key)', async () => {
    const licenseJwks = createRemoteJWKSet(new URL('/.well-known/jwks.json', await testApp.app.getUrl()));
    await expect(jwtVerify(await assertionFor(tenant.tokens.member), licenseJwks, verifyAs(host()))).rejects.toMatchObject({ code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  itWithTool('java', ['-version'], 'the JDK verification snippet of docs/forward-auth-headers.md', (text) => /version "(1[5-9]|[2-9]\d)/.test(text))(
    'verifies with the JDK alone: the snippet of docs/forward-auth-headers.md',
    async () => {
      const snippet = /```java\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, 'docs/forward-auth-headers.md'), 'utf8'))?.[1];
      expect(snippet).toBeDefined();
      const work = mkdtempSync(join(tmpdir(), 'identity-check-'));
      try {
        const source = join(work, 'IdentityCheck.java');
        writeFileSync(source, snippet ?? '');
        // The JWKS as cameleer3-server would fetch it.
        const jwksFile = join(work, 'platform-jwks.json');
        writeFileSync(jwksFile, JSON.stringify((await request(testApp.server).get('/.well-known/platform-jwks.json').expect(200)).body));
        const emptyJwks = join(work, 'empty-jwks.json');
        writeFileSync(emptyJwks, '{"keys":[]}');
        const java = async (assertion: string, audience = host(), jwks = jwksFile) => {
          try {
            return { code: 0, stdout: (await run('java', [source, assertion, jwks, PUBLIC_URL, audience], { encoding: 'utf8' })).stdout };
          } catch (error) {
            return { code: (error as { code?: number }).code ?? -1, stdout: (error as { stdout?: string }).stdout ?? '' };
          }
        };
        const member = await assertionFor(tenant.tokens.member);
        expect(await java(member)).toEqual({
          code: 0,
          stdout: `OK tenant=${tenant.id} slug=${tenant.slug} sub=member-of-${tenant.slug} principal=user scope=tenant:read tier=pro sid=null\n`,
        });
        expect((await java(await assertionFor(tenant.tokens.agent))).stdout).toBe(
          `OK tenant=${tenant.id} slug=${tenant.slug} sub=${tenant.agentId} principal=agent scope= tier=pro sid=null\n`,
        );
        expect(await java(member, `other.${BASE}`)).toEqual({ code: 1, stdout: 'INVALID aud\n' });
        expect((await java(member, host(), emptyJwks)).stdout).toMatch(/^INVALID unknown kid/);
        const [header, payload, signature = ''] = member.split('.');
        // A flipped bit in R (which may not decode as a point: the JDK then throws) and one in S.
        for (const index of [0, 40]) {
          const bytes = Buffer.from(signature, 'base64url');
          bytes[index] = (bytes[index] ?? 0) ^ 0x01;
          expect(await java(`${header}.${payload}.${bytes.toString('base64url')}`)).toEqual({ code: 1, stdout: 'INVALID bad signature\n' });
        }
        // A license-typed token (another typ) is refused before its signature is even looked at.
        const licenseTyped = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header ?? '', 'base64url').toString()), typ: 'license+jwt' })).toString('base64url');
        expect(await java(`${licenseTyped}.${payload}.${signature}`)).toEqual({ code: 1, stdout: 'INVALID typ\n' });
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    },
    120_000,
  );
});
