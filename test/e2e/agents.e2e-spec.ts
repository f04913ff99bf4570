import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { AgentAuthFailureCounter } from '@app/agents';
import { SignJWT } from 'jose';
import { Keyring, MACHINE_KEYRING, MachineTokenService } from '@app/security';
import { AgentKeys, agentKeys, captureStdoutLogs, countRows, findSecrets, signAssertion, tokenSecrets } from '../support/agent-fixtures';
import { eventually } from '../support/eventually';
import { startAppOn, startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { sql } from '../support/tenant-rows';
import { itOnServer } from '../support/test-database';
import { startTestApp, TestApp } from '../support/test-app';

const BASE = 'agents.cameleer.test';
const PUBLIC_URL = 'http://127.0.0.1:3000';
const ASSERTION_AUD = `${PUBLIC_URL}/api/agents/token`;

interface TenantRef {
  id: string;
  slug: string;
  organizationId: string;
  admin: string;
}

interface Minted {
  id: string;
  token: string;
  maxUses: number;
  uses: number;
  expiresAt: string;
  status: string;
}

/** Agents over HTTP against the dev IdP: bootstrap tokens, registration, assertions, forward-auth, disable, audit, isolation. */
describe('agents API', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;
  let machine: MachineTokenService;
  let logs: ReturnType<typeof captureStdoutLogs>;
  /** Every token and private key this spec handled: none may be stored or logged. */
  const secrets: string[] = [];

  const api = () => request(testApp.server);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const url = () => testApp.database.url;

  async function createTenant(): Promise<TenantRef> {
    const slug = `ag-${randomUUID().slice(0, 8)}`;
    const created = await api().post('/api/tenants').set(bearer(operator)).send({ slug, name: `Tenant ${slug}` });
    expect(created.status).toBe(201);
    const organizationId = created.body.logtoOrganizationId as string;
    const admin = await logto.idp.mintUserToken({ sub: `admin-of-${slug}`, organizationId, scopes: ['tenant:read', 'tenant:admin'] });
    return { id: created.body.id as string, slug, organizationId, admin };
  }

  async function license(tenant: TenantRef, maxAgents: number): Promise<void> {
    const issued = await api().post(`/api/tenants/${tenant.id}/license`).set(bearer(operator)).send({ tier: 'pro', limits: { maxAgents } });
    expect(issued.status).toBe(201);
  }

  async function mint(tenant: TenantRef, body: Record<string, unknown> = {}, token = tenant.admin): Promise<Minted> {
    const response = await api().post(`/api/tenants/${tenant.id}/bootstrap-tokens`).set(bearer(token)).send(body);
    expect(response.status).toBe(201);
    const minted = response.body as Minted;
    secrets.push(...tokenSecrets(minted.token));
    return minted;
  }

  function register(token: string, keys: AgentKeys, body: Record<string, unknown> = {}) {
    return api()
      .post('/api/agents/register')
      .set(bearer(token))
      .send({ name: 'agent-1', environment: 'prod', publicKey: keys.publicPem, ...body });
  }

  function newKeys(): AgentKeys {
    const keys = agentKeys();
    secrets.push(...keys.secrets);
    return keys;
  }

  async function registered(tenant: TenantRef, keys = newKeys()): Promise<{ agentId: string; accessToken: string; keys: AgentKeys; license: string }> {
    const { token } = await mint(tenant);
    const response = await register(token, keys);
    expect(response.status).toBe(201);
    secrets.push(...tokenSecrets(response.body.accessToken as string));
    return { agentId: response.body.agentId as string, accessToken: response.body.accessToken as string, keys, license: response.body.license as string };
  }

  const uses = async (tokenId: string) => (await sql<{ uses: number }>(url(), 'SELECT uses FROM agent_bootstrap_tokens WHERE id = $1', [tokenId]))[0]?.uses;
  const audit = (tenantId: string, where = 'true', values: unknown[] = []) => countRows(url(), 'audit_events', `tenant_id = $1 AND ${where}`, [tenantId, ...values]);
  const verify = (tenant: TenantRef, token: string) => api().get('/api/auth/verify').set('X-Forwarded-Host', `${tenant.slug}.${BASE}`).set(bearer(token));
  const exchange = (assertion: unknown) => {
    if (typeof assertion === 'string' && assertion.length > 40) {
      secrets.push(...tokenSecrets(assertion));
    }
    return api().post('/api/agents/token').send({ assertion });
  };

  beforeAll(async () => {
    logs = captureStdoutLogs();
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    testApp = await startTestApp(logto.env({ TENANT_BASE_DOMAIN: BASE, LOG_LEVEL: 'debug', AGENT_RATE_LIMIT_MAX: '100000', PUBLIC_URL }));
    operator = await logto.operatorToken();
    machine = testApp.app.get(MachineTokenService);
  });

  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
    logs?.restore();
  });

  describe('happy path', () => {
    it('mints, registers, refreshes by assertion, answers /me, opens forward-auth; disabling closes it within a second', async () => {
      const tenant = await createTenant();
      await license(tenant, 5);
      const minted = await mint(tenant, { label: 'rack 7', ttlSeconds: 600, maxUses: 2 });
      expect(minted).toMatchObject({ maxUses: 2, uses: 0, status: 'ACTIVE', label: 'rack 7' });
      expect(new Date(minted.expiresAt).getTime() - Date.now()).toBeGreaterThan(590_000);
      expect(machine.peekType(minted.token)).toBe('agent-bootstrap+jwt');
      const claims = await machine.verify('agent-bootstrap', minted.token);
      expect(claims).toMatchObject({ subject: minted.id, tenantId: tenant.id });
      expect(claims.claims.aud).toBe(`${PUBLIC_URL}/api/agents/register`);
      expect(claims.expiresAt.toISOString()).toBe(new Date(minted.expiresAt).toISOString());

      const listed = await api().get(`/api/tenants/${tenant.id}/bootstrap-tokens`).set(bearer(tenant.admin)).expect(200);
      expect(listed.body).toMatchObject({ total: 1, page: 1, items: [{ id: minted.id, uses: 0 }] });
      expect(JSON.stringify(listed.body)).not.toContain(minted.token);

      const keys = newKeys();
      const reg = await register(minted.token, keys, { publicKey: keys.publicJwk, name: 'edge-1' }).expect(201);
      const { agentId, accessToken, expiresIn, license: licenseToken } = reg.body as { agentId: string; accessToken: string; expiresIn: number; license: string };
      secrets.push(...tokenSecrets(accessToken));
      expect(reg.body.tenantId).toBe(tenant.id);
      expect(expiresIn).toBe(900);
      expect(machine.peekType(accessToken)).toBe('agent+jwt');
      expect((await machine.verify('agent', accessToken)).claims).toMatchObject({ sub: agentId, tenant_id: tenant.id, aud: 'cameleer-platform' });
      expect(licenseToken.split('.')).toHaveLength(3);
      expect(await uses(minted.id)).toBe(1);

      const assertion = await signAssertion(agentId, keys, { audience: ASSERTION_AUD });
      const refreshed = await exchange(assertion).expect(200);
      expect(refreshed.body.expiresIn).toBe(900);
      const fresh = refreshed.body.accessToken as string;
      secrets.push(...tokenSecrets(fresh));
      expect((await machine.verify('agent', fresh)).subject).toBe(agentId);
      // typ may be absent too.
      await exchange(await signAssertion(agentId, keys, { audience: ASSERTION_AUD, typ: null })).expect(200);

      const me = await api().get('/api/agents/me').set(bearer(fresh)).expect(200);
      expect(me.body.agent).toMatchObject({ id: agentId, name: 'edge-1', environment: 'prod', enabled: true, publicKey: keys.publicJwk });
      expect(me.body.agent.lastSeenAt).not.toBeNull();
      expect(me.body.tenant).toMatchObject({ id: tenant.id, slug: tenant.slug, status: 'ACTIVE' });
      expect(typeof me.body.license).toBe('string');

      const through = await verify(tenant, fresh).expect(200);
      expect(through.headers['x-cameleer-principal']).toBe('agent');
      expect(through.headers['x-cameleer-subject']).toBe(agentId);

      const agents = await api().get(`/api/tenants/${tenant.id}/agents`).set(bearer(operator)).expect(200);
      expect(agents.body).toMatchObject({ total: 1, items: [{ id: agentId, enabled: true }] });

      const disabled = await api().post(`/api/tenants/${tenant.id}/agents/${agentId}/disable`).set(bearer(tenant.admin)).expect(200);
      expect(disabled.body).toMatchObject({ id: agentId, enabled: false, disabledBy: `user:admin-of-${tenant.slug}` });
      await eventually(async () => expect([401, 403]).toContain((await verify(tenant, fresh)).status), { within: 1000 });
      await verify(tenant, accessToken).expect(401);
      await exchange(await signAssertion(agentId, keys, { audience: ASSERTION_AUD })).expect(401);
      await api().get('/api/agents/me').set(bearer(fresh)).expect(401);
      // Disabling twice is harmless.
      await api().post(`/api/tenants/${tenant.id}/agents/${agentId}/disable`).set(bearer(operator)).expect(200);

      const trail = await api().get(`/api/tenants/${tenant.id}/audit-events?pageSize=100`).set(bearer(tenant.admin)).expect(200);
      // The tenant's own records (tenant.created, license.issued) come before the agents'.
      const actions = (trail.body.items as { action: string; reason: string | null }[]).map((event) => event.action).slice(0, -2);
      expect(actions).toEqual([
        'agent.token_refused',
        'agent.disabled',
        'agent.token_refreshed',
        'agent.token_refreshed',
        'agent.registered',
        'bootstrap_token.used',
        'bootstrap_token.minted',
      ]);
      expect(trail.body.items[0]).toMatchObject({ reason: 'agent_disabled', actor: `agent:${agentId}`, targetId: agentId });
      expect((trail.body.items as unknown[]).at(-3)).toMatchObject({ actor: `user:admin-of-${tenant.slug}`, targetId: minted.id, sourceIp: '127.0.0.1' });
      expect((trail.body.items as { action: string }[]).slice(-2).map((event) => event.action)).toEqual(['license.issued', 'tenant.created']);
    });

    it('replays a mint with the same Idempotency-Key as the same row, with a token that still works', async () => {
      const tenant = await createTenant();
      await license(tenant, 5);
      const key = randomUUID();
      const first = await api().post(`/api/tenants/${tenant.id}/bootstrap-tokens`).set(bearer(tenant.admin)).set('Idempotency-Key', key).send({ maxUses: 2 }).expect(201);
      const again = await api().post(`/api/tenants/${tenant.id}/bootstrap-tokens`).set(bearer(tenant.admin)).set('Idempotency-Key', key).send({ maxUses: 2 }).expect(201);
      secrets.push(...tokenSecrets(first.body.token as string), ...tokenSecrets(again.body.token as string));
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body.id).toBe(first.body.id);
      expect(typeof again.body.token).toBe('string');
      expect(await countRows(url(), 'agent_bootstrap_tokens', 'tenant_id = $1', [tenant.id])).toBe(1);
      await register(again.body.token as string, newKeys()).expect(201);
      await register(first.body.token as string, newKeys()).expect(201);
      expect(await uses(first.body.id as string)).toBe(2);
    });
  });

  describe('bootstrap tokens that must fail', () => {
    let tenant: TenantRef;
    let other: TenantRef;

    beforeAll(async () => {
      tenant = await createTenant();
      other = await createTenant();
      await license(tenant, 100);
      await license(other, 100);
    });

    /** The token is refused with 401 and nothing about agents or uses changes; the audit grows by `audited` records. */
    async function refused(token: string, tokenId: string | undefined, audited: { reason: string } | undefined, code = 'INVALID_TOKEN'): Promise<string> {
      const before = {
        agents: await countRows(url(), 'agents'),
        uses: tokenId === undefined ? undefined : await uses(tokenId),
        audit: await countRows(url(), 'audit_events'),
        failures: testApp.app.get(AgentAuthFailureCounter).total(),
      };
      const response = await register(token, newKeys());
      expect(response.status).toBe(401);
      expect(response.body.code).toBe(code);
      expect(response.headers['www-authenticate']).toBe(`Bearer error="invalid_token", error_description="${response.body.detail as string}"`);
      expect(await countRows(url(), 'agents')).toBe(before.agents);
      if (tokenId !== undefined) {
        expect(await uses(tokenId)).toBe(before.uses);
      }
      if (audited === undefined) {
        expect(await countRows(url(), 'audit_events')).toBe(before.audit);
        expect(testApp.app.get(AgentAuthFailureCounter).total()).toBe(before.failures + 1);
      } else {
        expect(await countRows(url(), 'audit_events')).toBe(before.audit + 1);
        const [last] = await sql<{ action: string; reason: string; target_id: string }>(url(), 'SELECT action, reason, target_id FROM audit_events ORDER BY id DESC LIMIT 1');
        expect(last).toEqual({ action: 'bootstrap_token.use_failed', reason: audited.reason, target_id: tokenId });
      }
      return response.body.detail as string;
    }

    /** A bootstrap token with a flipped signature bit: no longer genuine, so its row's state must not be told. */
    const flipSignature = (token: string): string => {
      const [header, payload, signature] = token.split('.') as [string, string, string];
      return `${header}.${payload}.${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    };

    it('expired (the row decides, with no leeway)', async () => {
      const id = randomUUID();
      await sql(
        url(),
        `INSERT INTO agent_bootstrap_tokens (id, tenant_id, max_uses, expires_at, created_by, created_at) VALUES ($1, $2, 1, now() - interval '1 second', 'test', now() - interval '1 minute')`,
        [id, tenant.id],
      );
      // A signature that is still valid: only the row says it is over.
      const { token } = await machine.sign('agent-bootstrap', { sub: id, tenantId: tenant.id, ttlSeconds: 60 });
      secrets.push(...tokenSecrets(token));
      const rowSays = await refused(token, id, { reason: 'expired' }, 'TOKEN_EXPIRED');
      expect(rowSays).toMatch(/bootstrap token.*has expired: ask an operator or a tenant admin for a new one/);
      await refused(flipSignature(token), id, undefined);

      // Past its exp (beyond the clock tolerance) the guard refuses it before the row is read: the same answer.
      const signing = testApp.app.get<Keyring>(MACHINE_KEYRING).current;
      const past = Math.floor(Date.now() / 1000) - 3600;
      const stale = await new SignJWT({ tenant_id: tenant.id })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'agent-bootstrap+jwt', kid: signing.kid })
        .setIssuer(machine.issuer)
        .setAudience(machine.audienceOf('agent-bootstrap'))
        .setSubject(id)
        .setJti(randomUUID())
        .setIssuedAt(past)
        .setExpirationTime(past + 600)
        .sign(signing.privateKey);
      secrets.push(...tokenSecrets(stale));
      expect(await refused(stale, id, undefined, 'TOKEN_EXPIRED')).toBe(rowSays);
    });

    it('revoked', async () => {
      const minted = await mint(tenant, { maxUses: 5 });
      await api().delete(`/api/tenants/${tenant.id}/bootstrap-tokens/${minted.id}`).set(bearer(tenant.admin)).expect(204);
      await api().delete(`/api/tenants/${tenant.id}/bootstrap-tokens/${minted.id}`).set(bearer(tenant.admin)).expect(204);
      const row = ((await api().get(`/api/tenants/${tenant.id}/bootstrap-tokens`).set(bearer(operator)).expect(200)).body.items as { id: string }[]).find((item) => item.id === minted.id);
      expect(row).toMatchObject({ status: 'REVOKED', revokedBy: `user:admin-of-${tenant.slug}` });
      expect(await audit(tenant.id, "action = 'bootstrap_token.revoked' AND target_id = $2", [minted.id])).toBe(1);
      expect(await refused(minted.token, minted.id, { reason: 'revoked' }, 'BOOTSTRAP_TOKEN_REVOKED')).toMatch(/was revoked: ask an operator or a tenant admin for a new one/);
      await refused(flipSignature(minted.token), minted.id, undefined);
    });

    it('used up', async () => {
      const minted = await mint(tenant);
      await register(minted.token, newKeys()).expect(201);
      expect(await refused(minted.token, minted.id, { reason: 'used_up' }, 'BOOTSTRAP_TOKEN_USED_UP')).toMatch(/used as many times as it allows/);
      await refused(flipSignature(minted.token), minted.id, undefined);
    });

    it("another tenant's (a correctly signed token naming the wrong tenant)", async () => {
      const minted = await mint(tenant);
      const { token } = await machine.sign('agent-bootstrap', { sub: minted.id, tenantId: other.id, ttlSeconds: 60 });
      secrets.push(...tokenSecrets(token));
      await refused(token, minted.id, { reason: 'wrong_tenant' });
      // The row is untouched and still works for its own tenant.
      await register(minted.token, newKeys()).expect(201);
    });

    it('tampered: counted, not audited', async () => {
      const minted = await mint(tenant);
      const [header, payload, signature] = minted.token.split('.') as [string, string, string];
      const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
      await refused(`${header}.${payload}.${flipped}`, minted.id, undefined);
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
      const forged = Buffer.from(JSON.stringify({ ...claims, tenant_id: other.id })).toString('base64url');
      await refused(`${header}.${forged}.${signature}`, minted.id, undefined);
      // An agent access token is not a bootstrap token.
      const { token } = await machine.sign('agent', { sub: minted.id, tenantId: tenant.id, ttlSeconds: 60 });
      expect(await refused(token, minted.id, undefined, 'WRONG_TOKEN_KIND')).toBe('This call takes an agent bootstrap token; an agent access token was sent.');
      expect(testApp.app.get(AgentAuthFailureCounter).snapshot()['bootstrap_token:unverified']).toBeGreaterThanOrEqual(3);
      await register(minted.token, newKeys()).expect(201);
    });

    it('refuses bad input before spending a use', async () => {
      const minted = await mint(tenant);
      const { publicKey: rsa } = await import('node:crypto').then((crypto) => crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }));
      const keys = newKeys();
      const privatePem = keys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
      const privateJwk = keys.privateKey.export({ format: 'jwk' });
      for (const publicKey of [
        rsa.export({ format: 'pem', type: 'spki' }).toString(),
        privatePem,
        { ...privateJwk },
        { kty: 'OKP', crv: 'X25519', x: keys.publicJwk.x },
        { kty: 'OKP', crv: 'Ed25519', x: 'short' },
        'not a key',
        42,
      ]) {
        const response = await register(minted.token, keys, { publicKey });
        expect(response.status).toBe(400);
        expect(response.body.code).toBe('VALIDATION_FAILED');
      }
      await register(minted.token, keys, { name: '' }).expect(400);
      await register(minted.token, keys, { name: 'x'.repeat(129) }).expect(400);
      await register(minted.token, keys, { environment: 'e'.repeat(65) }).expect(400);
      await register(minted.token, keys, { extra: 1 }).expect(400);
      expect(await uses(minted.id)).toBe(0);
      await register(minted.token, keys).expect(201);
    });

    it('validates mint requests and refuses a tenant that is not ACTIVE', async () => {
      for (const body of [{ ttlSeconds: 9 }, { ttlSeconds: 86_401 }, { maxUses: 0 }, { maxUses: 101 }, { label: '' }, { secret: 'x' }]) {
        await api().post(`/api/tenants/${tenant.id}/bootstrap-tokens`).set(bearer(tenant.admin)).send(body).expect(400);
      }
      const bounds = [await mint(tenant, { ttlSeconds: 10, maxUses: 100 }), await mint(tenant, { ttlSeconds: 86_400 })];
      expect(bounds.map((minted) => minted.maxUses)).toEqual([100, 1]);
      const suspended = await createTenant();
      await api().post(`/api/tenants/${suspended.id}/suspend`).set(bearer(operator)).expect(200);
      const response = await api().post(`/api/tenants/${suspended.id}/bootstrap-tokens`).set(bearer(operator)).send({});
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('TENANT_NOT_ACTIVE');
    });
  });

  describe('tenants that are not ACTIVE', () => {
    it('a suspended tenant: 409 TENANT_NOT_ACTIVE, the use is not consumed, the refusal is audited', async () => {
      const tenant = await createTenant();
      await license(tenant, 5);
      const minted = await mint(tenant);
      await api().post(`/api/tenants/${tenant.id}/suspend`).set(bearer(operator)).expect(200);
      const response = await register(minted.token, newKeys());
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('TENANT_NOT_ACTIVE');
      expect(await uses(minted.id)).toBe(0);
      expect(await audit(tenant.id, "action = 'agent.registration_refused' AND reason = 'tenant_not_active'")).toBe(1);
      await api().post(`/api/tenants/${tenant.id}/resume`).set(bearer(operator)).expect(200);
      await register(minted.token, newKeys()).expect(201);
    });
  });

  describe('assertions that must fail', () => {
    let tenant: TenantRef;
    let agent: { agentId: string; accessToken: string; keys: AgentKeys };

    beforeAll(async () => {
      tenant = await createTenant();
      await license(tenant, 10);
      agent = await registered(tenant);
    });

    async function refusedAssertion(assertion: unknown, audited?: string, code = 'INVALID_ASSERTION'): Promise<string> {
      const before = { audit: await countRows(url(), 'audit_events'), jtis: await countRows(url(), 'agent_assertion_jtis'), failures: testApp.app.get(AgentAuthFailureCounter).total() };
      const response = await exchange(assertion);
      expect({ status: response.status, code: response.body.code as unknown }).toEqual({ status: 401, code });
      expect(response.body.accessToken).toBeUndefined();
      expect(await countRows(url(), 'agent_assertion_jtis')).toBe(before.jtis);
      if (audited === undefined) {
        expect(await countRows(url(), 'audit_events')).toBe(before.audit);
        expect(testApp.app.get(AgentAuthFailureCounter).total()).toBe(before.failures + 1);
      } else {
        expect(await countRows(url(), 'audit_events')).toBe(before.audit + 1);
        const [last] = await sql<{ action: string }>(url(), 'SELECT action FROM audit_events ORDER BY id DESC LIMIT 1');
        expect(last?.action).toBe(audited);
      }
      return response.body.detail as string;
    }

    it('a replayed jti', async () => {
      const assertion = await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD });
      await exchange(assertion).expect(200);
      await refusedAssertion(assertion, 'agent.assertion_replayed');
      // The same jti in a newly signed assertion is a replay too.
      const jti = randomUUID();
      await exchange(await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD, jti })).expect(200);
      await refusedAssertion(await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD, jti, exp: Math.floor(Date.now() / 1000) + 60 }), 'agent.assertion_replayed');
    });

    it('tokens of the platform used as assertions', async () => {
      const minted = await mint(tenant);
      await refusedAssertion(minted.token);
      await refusedAssertion(agent.accessToken);
      const { token } = await machine.sign('agent', { sub: agent.agentId, tenantId: tenant.id, ttlSeconds: 60 });
      await refusedAssertion(token);
    });

    it('wrong key, audience, typ, issuer, lifetimes and garbage', async () => {
      const now = Math.floor(Date.now() / 1000);
      const stranger = newKeys();
      await refusedAssertion(await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD, key: stranger.privateKey }));
      // A genuine assertion (the agent's own key) is told the audience it must name; a forged one is not.
      const expected = `The assertion's aud must be exactly ${ASSERTION_AUD}.`;
      expect(await refusedAssertion(await signAssertion(agent.agentId, agent.keys, { audience: `${PUBLIC_URL}/api/agents/register` }), undefined, 'ASSERTION_WRONG_AUDIENCE')).toBe(expected);
      expect(await refusedAssertion(await signAssertion(agent.agentId, agent.keys, { audience: 'cameleer-platform' }), undefined, 'ASSERTION_WRONG_AUDIENCE')).toBe(expected);
      await refusedAssertion(await signAssertion(agent.agentId, agent.keys, { audience: 'cameleer-platform', key: stranger.privateKey }));
      await refusedAssertion(await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD, typ: 'agent+jwt' }));
      await refusedAssertion(await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD, iss: randomUUID() }));
      await refusedAssertion(await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD, exp: now + 600 }));
      expect(await refusedAssertion(await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD, iat: now - 120, exp: now - 60 }), undefined, 'ASSERTION_EXPIRED')).toMatch(
        /^The assertion has expired: sign a new one/,
      );
      await refusedAssertion(await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD, iat: now - 120, exp: now - 60, key: stranger.privateKey }));
      await refusedAssertion(await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD, iat: now + 60, exp: now + 120 }));
      await refusedAssertion(await signAssertion(randomUUID(), agent.keys, { audience: ASSERTION_AUD }));
      const valid = await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD });
      const [header, payload, signature] = valid.split('.') as [string, string, string];
      await refusedAssertion(`${header}.${payload}.${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`);
      await refusedAssertion('not.a.jwt');
      await exchange(42).expect(400);
      await exchange(valid).expect(200);
    });

    it('an agent of a suspended tenant', async () => {
      const suspended = await createTenant();
      await license(suspended, 10);
      const its = await registered(suspended);
      await api().post(`/api/tenants/${suspended.id}/suspend`).set(bearer(operator)).expect(200);
      await refusedAssertion(await signAssertion(its.agentId, its.keys, { audience: ASSERTION_AUD }), 'agent.token_refused');
    });
  });

  describe('licenses', () => {
    it('no license: 403 LICENSE_REQUIRED, the use is not consumed, the refusal is audited', async () => {
      const tenant = await createTenant();
      const minted = await mint(tenant);
      const response = await register(minted.token, newKeys());
      expect(response.status).toBe(403);
      expect(response.body.code).toBe('LICENSE_REQUIRED');
      expect(await uses(minted.id)).toBe(0);
      expect(await countRows(url(), 'agents', 'tenant_id = $1', [tenant.id])).toBe(0);
      expect(await audit(tenant.id, "action = 'agent.registration_refused' AND reason = 'license_required'")).toBe(1);
      await license(tenant, 1);
      await register(minted.token, newKeys()).expect(201);
      // A revoked license is no license.
      await api().post(`/api/tenants/${tenant.id}/license/revoke`).set(bearer(operator)).send({ reason: 'test' }).expect(200);
      const again = await mint(tenant);
      expect((await register(again.token, newKeys())).body.code).toBe('LICENSE_REQUIRED');
    });

    it('the grace period counts: past its end but within grace a license still registers agents and is served on /me', async () => {
      const tenant = await createTenant();
      const issued = await api().post(`/api/tenants/${tenant.id}/license`).set(bearer(operator)).send({ tier: 'pro', limits: { maxAgents: 5 }, graceDays: 7 });
      expect(issued.status).toBe(201);
      const agent = await registered(tenant);
      const endLicense = (daysAgo: number) =>
        sql(url(), `UPDATE licenses SET starts_at = now() - interval '60 days', ends_at = now() - make_interval(days => $2) WHERE tenant_id = $1 AND state = 'CURRENT'`, [tenant.id, daysAgo]);
      const me = async () => {
        const assertion = await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD });
        const token = (await exchange(assertion).expect(200)).body.accessToken as string;
        secrets.push(...tokenSecrets(token));
        return (await api().get('/api/agents/me').set(bearer(token)).expect(200)).body as { license: string | null };
      };

      await endLicense(1);
      await registered(tenant);
      expect(typeof (await me()).license).toBe('string');

      // Past the grace too: no usable license.
      await endLicense(8);
      const minted = await mint(tenant);
      const refusedResponse = await register(minted.token, newKeys());
      expect(refusedResponse.status).toBe(403);
      expect(refusedResponse.body.code).toBe('LICENSE_REQUIRED');
      expect(await uses(minted.id)).toBe(0);
      expect((await me()).license).toBeNull();
    });

    it('maxAgents: the seat limit counts enabled agents; a refusal keeps the use', async () => {
      const tenant = await createTenant();
      await license(tenant, 1);
      const first = await registered(tenant);
      const minted = await mint(tenant, { maxUses: 3 });
      const refusedResponse = await register(minted.token, newKeys());
      expect(refusedResponse.status).toBe(403);
      expect(refusedResponse.body.code).toBe('LICENSE_LIMIT_REACHED');
      expect(await uses(minted.id)).toBe(0);
      expect(await audit(tenant.id, "action = 'agent.registration_refused' AND reason = 'license_limit_reached'")).toBe(1);
      await api().post(`/api/tenants/${tenant.id}/agents/${first.agentId}/disable`).set(bearer(operator)).expect(200);
      await register(minted.token, newKeys()).expect(201);
      expect(await uses(minted.id)).toBe(1);
    });
  });

  describe('isolation between tenants', () => {
    it("a tenant admin gets 404 for another tenant's tokens, agents and audit; members without tenant:admin get 403", async () => {
      const a = await createTenant();
      const b = await createTenant();
      await license(b, 5);
      const bToken = await mint(b);
      const bAgent = await registered(b);
      for (const path of [`/api/tenants/${b.id}/bootstrap-tokens`, `/api/tenants/${b.id}/agents`, `/api/tenants/${b.id}/audit-events`]) {
        await api().get(path).set(bearer(a.admin)).expect(404);
      }
      await api().post(`/api/tenants/${b.id}/bootstrap-tokens`).set(bearer(a.admin)).send({}).expect(404);
      await api().delete(`/api/tenants/${b.id}/bootstrap-tokens/${bToken.id}`).set(bearer(a.admin)).expect(404);
      await api().post(`/api/tenants/${b.id}/agents/${bAgent.agentId}/disable`).set(bearer(a.admin)).expect(404);
      // B's ids under A's path are unknown to A.
      await api().delete(`/api/tenants/${a.id}/bootstrap-tokens/${bToken.id}`).set(bearer(a.admin)).expect(404);
      await api().post(`/api/tenants/${a.id}/agents/${bAgent.agentId}/disable`).set(bearer(a.admin)).expect(404);
      expect((await api().get(`/api/tenants/${a.id}/agents`).set(bearer(a.admin)).expect(200)).body.total).toBe(0);
      const aTrail = (await api().get(`/api/tenants/${a.id}/audit-events`).set(bearer(a.admin)).expect(200)).body.items as { tenantId: string }[];
      expect(aTrail.every((event) => event.tenantId === a.id)).toBe(true);
      const member = await logto.idp.mintUserToken({ sub: 'member', organizationId: b.organizationId, scopes: ['tenant:read'] });
      await api().get(`/api/tenants/${b.id}/bootstrap-tokens`).set(bearer(member)).expect(403);
      await api().post(`/api/tenants/${b.id}/bootstrap-tokens`).set(bearer(member)).send({}).expect(403);
      // B's agent token opens B only.
      await verify(a, bAgent.accessToken).expect(404);
      await verify(b, bAgent.accessToken).expect(200);
      // Machine tokens are refused on the operator routes, Logto tokens on the agent routes.
      await api().get(`/api/tenants/${b.id}/agents`).set(bearer(bAgent.accessToken)).expect(401);
      await api().get('/api/agents/me').set(bearer(b.admin)).expect(401);
      await api().post('/api/agents/register').set(bearer(bAgent.accessToken)).send({ name: 'x', publicKey: newKeys().publicPem }).expect(401);
      expect(await uses(bToken.id)).toBe(0);
    });
  });

  describe('races (PostgreSQL server)', () => {
    itOnServer('two sessions racing for one bootstrap token')('a one-use token registers exactly one of two parallel agents', async () => {
      const tenant = await createTenant();
      await license(tenant, 10);
      for (let round = 0; round < 5; round++) {
        const minted = await mint(tenant);
        const statuses = (await Promise.all([register(minted.token, newKeys()), register(minted.token, newKeys())])).map((response) => response.status).sort();
        expect(statuses).toEqual([201, 401]);
        expect(await uses(minted.id)).toBe(1);
      }
      expect(await countRows(url(), 'agents', 'tenant_id = $1', [tenant.id])).toBe(5);
    });

    itOnServer('two sessions racing for the last license seat')('two registrations cannot both take the last seat', async () => {
      const tenant = await createTenant();
      await license(tenant, 1);
      const one = await mint(tenant);
      const two = await mint(tenant);
      const responses = await Promise.all([register(one.token, newKeys()), register(two.token, newKeys())]);
      expect(responses.map((response) => response.status).sort()).toEqual([201, 403]);
      expect(responses.find((response) => response.status === 403)?.body.code).toBe('LICENSE_LIMIT_REACHED');
      expect(((await uses(one.id)) ?? 0) + ((await uses(two.id)) ?? 0)).toBe(1);
      expect(await countRows(url(), 'agents', 'tenant_id = $1 AND enabled', [tenant.id])).toBe(1);
    });

    itOnServer('two app instances on one database')('another replica stops accepting a disabled agent within a second (LISTEN/NOTIFY)', async () => {
      const replica = await startAppOn(testApp.database, logto.env({ TENANT_BASE_DOMAIN: BASE, LOG_LEVEL: 'silent', AGENT_RATE_LIMIT_MAX: '100000', PUBLIC_URL }));
      try {
        const tenant = await createTenant();
        await license(tenant, 5);
        const agent = await registered(tenant);
        const onReplica = () => request(replica.server).get('/api/auth/verify').set('X-Forwarded-Host', `${tenant.slug}.${BASE}`).set(bearer(agent.accessToken));
        // Warm the replica's caches first: the notification, not a cache miss, must close it.
        await onReplica().expect(200);
        await onReplica().expect(200);
        await api().post(`/api/tenants/${tenant.id}/agents/${agent.agentId}/disable`).set(bearer(operator)).expect(200);
        await eventually(async () => expect((await onReplica()).status).toBe(401), { within: 1000 });
      } finally {
        await replica.close();
      }
    });

    itOnServer('two sessions inserting one jti')('a replayed assertion sent in parallel succeeds once', async () => {
      const tenant = await createTenant();
      await license(tenant, 10);
      const agent = await registered(tenant);
      const assertion = await signAssertion(agent.agentId, agent.keys, { audience: ASSERTION_AUD });
      const statuses = (await Promise.all([exchange(assertion), exchange(assertion), exchange(assertion)])).map((response) => response.status).sort();
      expect(statuses).toEqual([200, 401, 401]);
    });
  });

  describe('secrets', () => {
    it('no token, assertion or private key is stored in any text or jsonb column, or logged', async () => {
      expect(secrets.length).toBeGreaterThan(20);
      expect(await findSecrets(url(), secrets)).toEqual([]);
      // The audit trail names ids only.
      const [sample] = await sql<{ n: number }>(url(), `SELECT count(*)::int AS n FROM audit_events WHERE length(coalesce(reason, '')) > 64 OR length(actor) > 80`);
      expect(sample?.n).toBe(0);
      const logged = logs.text();
      expect(logged).toContain('bootstrap_token.minted');
      for (const secret of secrets) {
        expect(logged.includes(secret)).toBe(false);
      }
    });
  });
});
