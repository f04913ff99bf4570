import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ForwardAuthServer } from '@app/forward-auth';
import { TenantsService } from '@app/tenants';
import { licensedTenantWithAgent } from '../support/agent-fixtures';
import { eventually } from '../support/eventually';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

const BASE = 'unknown.cameleer.test';
const PUBLIC_URL = 'http://127.0.0.1:3000';
const PER_MINUTE = 4;

/**
 * Issue 12 #13 "Forward-auth drives unbounded SQL": any valid token plus random tenant hosts cost one query per request.
 * An unknown slug is remembered briefly (negative cache), and each caller (a Logto user or an agent) may look up only
 * FORWARD_AUTH_UNKNOWN_TENANTS_PER_MINUTE slugs that are no tenant: beyond that, 429 without a query — on both ports,
 * for that caller only. The lookups are counted on the real TenantsService (observed, not replaced).
 */
describe('issue 12 #13: forward-auth bounds the lookups of hosts that are no tenant, per caller, on both ports', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let forwardAuthPort: number;
  let operator: string;
  let lookups: jest.SpyInstance;

  const api = () => request(testApp.server);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const onPort = [() => request(testApp.server), () => request(`http://127.0.0.1:${forwardAuthPort}`)] as const;
  /** Alternates the ports: the bound and the negative cache are one per instance, whichever port Traefik calls. */
  const verify = (turn: number, slug: string, token: string) =>
    onPort[turn % 2]!()
      .get('/api/auth/verify')
      .set('X-Forwarded-Host', `${slug}.${BASE}`)
      .set(bearer(token));
  const unknownSlug = () => `nowhere-${randomUUID().slice(0, 8)}`;
  /** An operator of its own (the bound is per caller, and this spec spends some). */
  const newOperator = () => logto.idp.mintUserToken({ sub: `op-${randomUUID().slice(0, 8)}`, scopes: ['platform:read', 'platform:write'] });

  beforeAll(async () => {
    logto = await startTenantsIdp();
    testApp = await startTestApp(
      logto.env({ TENANT_BASE_DOMAIN: BASE, FORWARD_AUTH_PORT: '0', FORWARD_AUTH_HOST: '127.0.0.1', FORWARD_AUTH_UNKNOWN_TENANTS_PER_MINUTE: String(PER_MINUTE), AGENT_RATE_LIMIT_MAX: '100000', PUBLIC_URL }),
    );
    forwardAuthPort = testApp.app.get(ForwardAuthServer).port ?? 0;
    operator = await logto.operatorToken();
    lookups = jest.spyOn(testApp.app.get(TenantsService), 'findBySlug');
  });

  afterAll(async () => {
    lookups?.mockRestore();
    await testApp?.close();
    await logto?.stop();
  });

  /** A licensed tenant with a member (Logto token) and a registered agent (its access token). */
  async function tenantCallers(): Promise<{ slug: string; member: string; agent: string }> {
    const { slug, tokens } = await licensedTenantWithAgent(testApp.server, logto.idp, operator, 'home');
    return { slug, ...tokens };
  }

  for (const kind of ['member', 'agent'] as const) {
    it(`${kind === 'agent' ? 'an agent' : 'a member'} token: ${PER_MINUTE} unknown hosts looked up once each, then 429 with Retry-After on both ports without a query; other callers unaffected`, async () => {
      const home = await tenantCallers();
      const token = home[kind];
      await verify(0, home.slug, token).expect(200);
      await verify(1, home.slug, token).expect(200);

      lookups.mockClear();
      const looked = Array.from({ length: PER_MINUTE }, unknownSlug);
      for (const [index, slug] of looked.entries()) {
        // Asked on both ports, twice each: one lookup per slug, the rest from the negative cache.
        for (let turn = 0; turn < 4; turn++) {
          const response = await verify(index + turn, slug, token);
          expect({ slug, turn, status: response.status, code: response.body.code as unknown }).toEqual({ slug, turn, status: 404, code: 'NOT_FOUND' });
        }
      }
      expect(lookups).toHaveBeenCalledTimes(PER_MINUTE);

      // Over the bound: every further unknown host is 429 on both ports, and costs no query.
      for (let turn = 0; turn < 6; turn++) {
        const response = await verify(turn, unknownSlug(), token);
        expect({ turn, status: response.status, code: response.body.code as unknown, retryAfter: response.headers['retry-after'] }).toEqual({
          turn,
          status: 429,
          code: 'TOO_MANY_UNKNOWN_TENANTS',
          retryAfter: '60',
        });
        expect(response.headers['content-type']).toContain('application/problem+json');
      }
      expect(lookups).toHaveBeenCalledTimes(PER_MINUTE);
      // What is cached still answers: the unknown slugs already looked up, and the caller's own tenant.
      await verify(0, looked[0]!, token).expect(404);
      await verify(1, looked[1]!, token).expect(404);
      await verify(0, home.slug, token).expect(200);
      await verify(1, home.slug, token).expect(200);
      expect(lookups).toHaveBeenCalledTimes(PER_MINUTE);

      // The bound is this caller's: another caller still looks up a new unknown host (404, one query).
      const other = home[kind === 'member' ? 'agent' : 'member'];
      await verify(0, unknownSlug(), other).expect(404);
      await verify(1, unknownSlug(), await newOperator()).expect(404);
      expect(lookups).toHaveBeenCalledTimes(PER_MINUTE + 2);
    });
  }

  it('a tenant created under a slug remembered as unknown is reachable within a second, on both ports', async () => {
    const slug = `late-${randomUUID().slice(0, 8)}`;
    const operator = await newOperator();
    await verify(0, slug, operator).expect(404);
    await verify(1, slug, operator).expect(404);
    await api().post('/api/tenants').set(bearer(operator)).send({ slug, name: 'Late' }).expect(201);
    // Created ACTIVE in the same request (201): that status change drops every "no such tenant" answer.
    await eventually(
      async () => {
        expect((await verify(0, slug, operator)).status).toBe(200);
        expect((await verify(1, slug, operator)).status).toBe(200);
      },
      { within: 1_000 },
    );
  });
});
