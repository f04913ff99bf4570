import request from 'supertest';
import { ForwardAuthServer } from '@app/forward-auth';
import { licensedTenantWithAgent, type LicensedTenantWithAgent } from '../support/agent-fixtures';
import { eventually } from '../support/eventually';
import { RunningApp, startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { itOnServer } from '../support/test-database';
import { startTestApp, TestApp } from '../support/test-app';

const BASE = 'race.cameleer.test';
const PUBLIC_URL = 'http://127.0.0.1:3000';
/** 4 targets x 2 tokens x 5 = 40 concurrent clients. */
const CLIENTS_PER_TARGET_AND_TOKEN = 5;
/** How long the load goes on after the change: the refusal must hold, not flicker. */
const LOAD_AFTER_CHANGE_MS = 2_000;
const WITHIN_MS = 1_000;
const TIER = 'x-cameleer-license-tier';

interface Target {
  readonly name: string;
  readonly url: string;
  /** On the replica that made the change: it must win at once there, within a second elsewhere. */
  readonly local: boolean;
}

interface Sample {
  readonly target: string;
  readonly token: string;
  readonly startedAt: number;
  /** 0: the request failed without an answer. */
  readonly status: number;
  readonly tier: string | null;
}

/** `clients` loops per target and token, each sending verify after verify until stopped; every answer is kept. */
function hammer(targets: readonly Target[], tokens: Readonly<Record<string, string>>, host: string, clients: number): { samples: Sample[]; stop(): Promise<void> } {
  const samples: Sample[] = [];
  let stopped = false;
  const loops: Promise<void>[] = [];
  for (const target of targets) {
    for (const [name, token] of Object.entries(tokens)) {
      for (let client = 0; client < clients; client++) {
        loops.push(
          (async () => {
            while (!stopped) {
              const startedAt = performance.now();
              try {
                const response = await fetch(target.url, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-host': host } });
                await response.arrayBuffer();
                samples.push({ target: target.name, token: name, startedAt, status: response.status, tier: response.headers.get(TIER) });
              } catch {
                // Kept as an answer no expectation accepts: a failed request is a failure, not a gap.
                samples.push({ target: target.name, token: name, startedAt, status: 0, tier: null });
              }
            }
          })(),
        );
      }
    }
  }
  return {
    samples,
    stop: async () => {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/** Per token: what every answer after the change must be (e.g. a 401), judged on status and tier header. */
type AfterChange = (sample: Sample) => boolean;

/**
 * Issue 12 #6 "Disable races forward-auth": a disable, a tenant suspend and a license revoke win over forward-auth's
 * caches and its verifications in flight, under concurrent load on both forward-auth ports of two replicas. On the
 * replica that made the change, no verify started after the change returned is answered with the old verdict; on the
 * other replica (LISTEN/NOTIFY) none started a second after it; and the refusal holds while the load goes on.
 */
describe('issue 12 #6: a disable, a suspend or a revoke wins over forward-auth under concurrent load', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let replica: RunningApp | undefined;
  let operator: string;
  let targets: Target[];

  const api = () => request(testApp.server);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const verifyUrl = (port: number) => `http://127.0.0.1:${port}/api/auth/verify`;
  const portOf = (server: ReturnType<TestApp['app']['getHttpServer']>) => (server.address() as { port: number }).port;

  beforeAll(async () => {
    logto = await startTenantsIdp();
    const env = logto.env({ TENANT_BASE_DOMAIN: BASE, FORWARD_AUTH_PORT: '0', FORWARD_AUTH_HOST: '127.0.0.1', AGENT_RATE_LIMIT_MAX: '100000', PUBLIC_URL });
    testApp = await startTestApp(env);
    operator = await logto.operatorToken();
    targets = [
      { name: 'first replica, main port', url: verifyUrl(portOf(testApp.server)), local: true },
      { name: 'first replica, forward-auth port', url: verifyUrl(testApp.app.get(ForwardAuthServer).port ?? 0), local: true },
    ];
    if (testApp.database.isServer) {
      replica = await startAppOn(testApp.database, env);
      targets.push(
        { name: 'second replica, main port', url: verifyUrl(portOf(replica.server)), local: false },
        { name: 'second replica, forward-auth port', url: verifyUrl(replica.app.get(ForwardAuthServer).port ?? 0), local: false },
      );
    }
  });

  afterAll(async () => {
    await replica?.close();
    await testApp?.close();
    await logto?.stop();
  });

  /** A new licensed tenant with a registered agent (its access token) and a member (a Logto token). */
  const tenantWithAgent = (): Promise<LicensedTenantWithAgent> => licensedTenantWithAgent(testApp.server, logto.idp, operator, 'race');

  /**
   * Hammers verify with `tokens` on every target until each answers with the old verdict (200 with the tier: the
   * caches are warm), runs `change`, and proves that every target answers as `expected` within a second of the change
   * returning and keeps doing so while the load goes on: on the replica that made the change, every verify started
   * after the change returned; on the other replica, every verify started a second after it.
   */
  async function race(tokens: Record<string, string>, slug: string, change: () => Promise<unknown>, expected: Readonly<Record<string, AfterChange>>): Promise<void> {
    const load = hammer(targets, tokens, `${slug}.${BASE}`, CLIENTS_PER_TARGET_AND_TOKEN);
    const of = (target: Target, token: string) => load.samples.filter((s) => s.target === target.name && s.token === token);
    let changedAt = Number.POSITIVE_INFINITY;
    try {
      await eventually(
        () => {
          for (const target of targets) {
            for (const token of Object.keys(tokens)) {
              expect({ target: target.name, token, warm: of(target, token).length > 0 }).toEqual({ target: target.name, token, warm: true });
            }
          }
        },
        { within: 10_000 },
      );
      expect(load.samples.filter((s) => s.status !== 200 || s.tier !== 'pro')).toEqual([]);

      await change();
      changedAt = performance.now();
      await eventually(
        () => {
          for (const target of targets) {
            for (const [token, matches] of Object.entries(expected)) {
              const seen = of(target, token).some((s) => s.startedAt > changedAt && matches(s));
              expect({ target: target.name, token, seen }).toEqual({ target: target.name, token, seen: true });
            }
          }
        },
        { within: WITHIN_MS },
      );
      await new Promise((resolve) => setTimeout(resolve, LOAD_AFTER_CHANGE_MS));
    } finally {
      await load.stop();
    }
    for (const target of targets) {
      const deadline = changedAt + (target.local ? 0 : WITHIN_MS);
      for (const [token, matches] of Object.entries(expected)) {
        const after = of(target, token).filter((s) => s.startedAt > deadline);
        expect({ target: target.name, token, many: after.length > 10 }).toEqual({ target: target.name, token, many: true });
        const wrong = after.filter((s) => !matches(s)).map((s) => ({ afterMs: Math.round(s.startedAt - changedAt), status: s.status, tier: s.tier }));
        expect({ target: target.name, token, wrong }).toEqual({ target: target.name, token, wrong: [] });
      }
    }
  }

  const server = itOnServer('a second replica on one database (LISTEN/NOTIFY)');
  const unauthorized: AfterChange = (s) => s.status === 401;
  const suspended: AfterChange = (s) => s.status === 403;
  const untouched: AfterChange = (s) => s.status === 200 && s.tier === 'pro';
  const withoutTier: AfterChange = (s) => s.status === 200 && s.tier === null;

  server("disabling an agent refuses its token (401); a member's token is untouched", async () => {
    const tenant = await tenantWithAgent();
    const disable = () => api().post(`/api/tenants/${tenant.id}/agents/${tenant.agentId}/disable`).set(bearer(operator)).expect(200);
    await race(tenant.tokens, tenant.slug, disable, { agent: unauthorized, member: untouched });
  });

  server('suspending the tenant refuses its agent and its member (403)', async () => {
    const tenant = await tenantWithAgent();
    const suspend = () => api().post(`/api/tenants/${tenant.id}/suspend`).set(bearer(operator)).expect(200);
    await race(tenant.tokens, tenant.slug, suspend, { agent: suspended, member: suspended });
  });

  server('revoking the license drops the tier header for its agent and its member', async () => {
    const tenant = await tenantWithAgent();
    const revoke = () => api().post(`/api/tenants/${tenant.id}/license/revoke`).set(bearer(operator)).send({ reason: 'race test' }).expect(200);
    await race(tenant.tokens, tenant.slug, revoke, { agent: withoutTier, member: withoutTier });
  });
});
