import { ChildProcess, execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { AgentKeys, agentKeys, countRows } from '../support/agent-fixtures';
import { eventually } from '../support/eventually';
import { itWithTool } from '../support/requires-tool';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { sql } from '../support/tenant-rows';
import { startTestApp, TestApp } from '../support/test-app';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const JAVA_SOURCE = join(ROOT, 'docs/agent-enrollment/AgentEnrollment.java');
/** Not the address the clients call: the assertion audience must come from the registration, not be guessed. */
const PUBLIC_URL = 'https://cameleer.example.test';
const ASSERTION_AUD = `${PUBLIC_URL}/api/agents/token`;
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

interface Tenant {
  id: string;
  slug: string;
  admin: string;
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The enrollment clients (docs/agent-enrollment/AgentEnrollment.java, npm run agent:enroll) against the real app, and one key per agent. */
describe('agent enrollment clients', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;
  let baseUrl: string;
  let work: string;
  let compiled: Promise<string> | undefined;
  const running = new Set<ChildProcess>();

  const api = () => request(testApp.server);
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const url = () => testApp.database.url;
  const newStateDir = () => join(work, `agent-${randomUUID().slice(0, 8)}`);

  async function createTenant(maxAgents?: number): Promise<Tenant> {
    const slug = `en-${randomUUID().slice(0, 8)}`;
    const created = await api().post('/api/tenants').set(bearer(operator)).send({ slug, name: `Tenant ${slug}` }).expect(201);
    const admin = await logto.idp.mintUserToken({ sub: `admin-of-${slug}`, organizationId: created.body.logtoOrganizationId as string, scopes: ['tenant:read', 'tenant:admin'] });
    const tenant = { id: created.body.id as string, slug, admin };
    if (maxAgents !== undefined) {
      await license(tenant, maxAgents);
    }
    return tenant;
  }

  async function license(tenant: Tenant, maxAgents: number): Promise<void> {
    await api().post(`/api/tenants/${tenant.id}/license`).set(bearer(operator)).send({ tier: 'pro', limits: { maxAgents } }).expect(201);
  }

  async function mint(tenant: Tenant): Promise<{ id: string; token: string }> {
    const minted = await api().post(`/api/tenants/${tenant.id}/bootstrap-tokens`).set(bearer(tenant.admin)).send({}).expect(201);
    return { id: minted.body.id as string, token: minted.body.token as string };
  }

  const uses = async (tokenId: string) => (await sql<{ uses: number }>(url(), 'SELECT uses FROM agent_bootstrap_tokens WHERE id = $1', [tokenId]))[0]?.uses;
  const agentsOf = (tenantId: string) => countRows(url(), 'agents', 'tenant_id = $1', [tenantId]);
  const savedRegistration = (stateDir: string) => JSON.parse(readFileSync(join(stateDir, 'agent.json'), 'utf8')) as { agentId: string; tenantId: string; assertionAudience: string; publicKey: { x: string } };

  /** Compiled once with every lint as an error: the file must stay clean Java 17. */
  function javaClasses(): Promise<string> {
    compiled ??= (async () => {
      const out = join(work, 'classes');
      await run('javac', ['-Xlint:all', '-Werror', '--release', '17', '-d', out, JAVA_SOURCE]);
      return out;
    })();
    return compiled;
  }

  /** Runs a child to its end; `onOutput` sees stdout as it arrives. The app answers it from this process meanwhile. */
  function spawned(command: string, args: string[], onOutput?: (stdout: string) => void): { done: Promise<Ran>; child: ChildProcess } {
    const child = spawn(command, args, { cwd: work, env: { ...process.env, CAMELEER_BOOTSTRAP_TOKEN: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onOutput?.(stdout);
    });
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<Ran>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        running.delete(child);
        resolve({ code: code ?? -1, stdout, stderr });
      });
    });
    return { done, child };
  }

  async function java(args: string[], onOutput?: (stdout: string) => void): Promise<{ done: Promise<Ran>; child: ChildProcess }> {
    return spawned('java', ['-cp', await javaClasses(), 'AgentEnrollment', baseUrl, ...args], onOutput);
  }

  const enroll = (...args: string[]) => spawned(process.execPath, ['-r', join(ROOT, 'scripts/register-ts.js'), join(ROOT, 'scripts/agent-enroll.ts'), ...args]).done;

  /** Nothing a client prints may hold a token (every JWT starts with eyJ) or the private key. */
  function expectNoSecrets(ran: Ran, stateDir: string): void {
    const privatePem = existsSync(join(stateDir, 'agent.key.pem')) ? (readFileSync(join(stateDir, 'agent.key.pem'), 'utf8').split('\n')[1] ?? '') : '';
    for (const text of [ran.stdout, ran.stderr]) {
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}/);
      if (privatePem !== '') {
        expect(text).not.toContain(privatePem);
      }
    }
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'agent-enrollment-'));
    logto = await startTenantsIdp();
    await logto.ensureOwnerRole();
    testApp = await startTestApp(logto.env({ AGENT_RATE_LIMIT_MAX: '100000', PUBLIC_URL }));
    baseUrl = await testApp.app.getUrl();
    operator = await logto.operatorToken();
  });

  afterAll(async () => {
    for (const child of running) {
      child.kill('SIGKILL');
    }
    await testApp?.close();
    await logto?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const withJdk = itWithTool('javac', ['-version'], 'the Java reference client of docs/agent-enrollment.md', (text) => /^javac (1[7-9]|[2-9]\d)/.test(text));

  describe('the Java reference client (JDK only)', () => {
    withJdk(
      'as documented (java AgentEnrollment.java): registers, refreshes before expiry, checks in; a restart needs no bootstrap token; agent:enroll takes over its state',
      async () => {
        const tenant = await createTenant(5);
        const minted = await mint(tenant);
        const stateDir = newStateDir();
        const first = await spawned('java', [JAVA_SOURCE, baseUrl, minted.token, '--state-dir', stateDir, '--name', 'edge-java', '--environment', 'prod', '--refreshes', '2', '--refresh-margin', '899']).done;
        expect(first).toMatchObject({ code: 0, stderr: '' });
        const registered = new RegExp(`^REGISTERED agent=(${UUID}) tenant=${tenant.id} expiresIn=(\\d+)$`, 'm').exec(first.stdout);
        expect(registered).not.toBeNull();
        const agentId = registered?.[1] ?? '';
        expect(Number(registered?.[2])).toBeGreaterThan(890);
        expect(first.stdout).toContain(`CHECKED-IN tenant=${tenant.slug} license=present`);
        expect(first.stdout).toMatch(/^REFRESHED count=1 expiresIn=\d+$/m);
        expect(first.stdout).toMatch(/^REFRESHED count=2 expiresIn=\d+$/m);
        expectNoSecrets(first, stateDir);

        // What the platform saw: one registration, two assertions (each a fresh jti), the key it holds is the file's.
        expect(await uses(minted.id)).toBe(1);
        const [agent] = await sql<{ name: string; environment: string; x: string }>(url(), `SELECT name, environment, public_key_jwk->>'x' AS x FROM agents WHERE id = $1`, [agentId]);
        expect(agent).toMatchObject({ name: 'edge-java', environment: 'prod' });
        expect(await countRows(url(), 'agent_assertion_jtis', 'agent_id = $1', [agentId])).toBe(2);
        expect(await countRows(url(), 'audit_events', `action = 'agent.token_refreshed' AND target_id = $1`, [agentId])).toBe(2);
        const saved = savedRegistration(stateDir);
        expect(saved).toMatchObject({ agentId, tenantId: tenant.id, assertionAudience: ASSERTION_AUD, publicKey: { x: agent?.x } });
        expect(statSync(join(stateDir, 'agent.key.pem')).mode & 0o777).toBe(0o600);
        expect(statSync(stateDir).mode & 0o777).toBe(0o700);

        // A restart: the registration is read back, a token is had by assertion, no bootstrap token is needed.
        const restarted = await (await java(['--state-dir', stateDir, '--refreshes', '0'])).done;
        expect(restarted).toMatchObject({ code: 0, stderr: '' });
        expect(restarted.stdout).toMatch(new RegExp(`^LOADED agent=${agentId} tenant=${tenant.id}\nTOKEN expiresIn=\\d+\nCHECKED-IN tenant=${tenant.slug} license=present\n$`));
        expect(await agentsOf(tenant.id)).toBe(1);

        // The TypeScript tool reads the same state: its token is this agent's.
        const fromScript = await enroll(baseUrl, '--state-dir', stateDir, '--print-token');
        expect(fromScript.code).toBe(0);
        const me = await api().get('/api/agents/me').set(bearer(fromScript.stdout.trim())).expect(200);
        expect(me.body.agent).toMatchObject({ id: agentId, name: 'edge-java' });
      },
      240_000,
    );

    withJdk(
      'no license: exit 3 LICENSE_REQUIRED with the bootstrap use kept, then registers once licensed; a full license: exit 4 LICENSE_LIMIT_REACHED',
      async () => {
        const tenant = await createTenant();
        const minted = await mint(tenant);
        const stateDir = newStateDir();
        const unlicensed = await (await java([minted.token, '--state-dir', stateDir, '--refreshes', '0'])).done;
        expect(unlicensed.code).toBe(3);
        expect(unlicensed.stderr).toMatch(/^ERROR LICENSE_REQUIRED: .*\(server: LICENSE_REQUIRED: /);
        expect(unlicensed.stdout).toBe('');
        expect(await uses(minted.id)).toBe(0);
        expect(await agentsOf(tenant.id)).toBe(0);
        expect(existsSync(join(stateDir, 'agent.json'))).toBe(false);

        await license(tenant, 1);
        const licensed = await (await java([minted.token, '--state-dir', stateDir, '--refreshes', '0'])).done;
        expect(licensed.code).toBe(0);
        expect(licensed.stdout).toMatch(/^REGISTERED agent=/m);

        const second = await mint(tenant);
        const full = await (await java([second.token, '--state-dir', newStateDir(), '--refreshes', '0'])).done;
        expect(full.code).toBe(4);
        expect(full.stderr).toMatch(/^ERROR LICENSE_LIMIT_REACHED: .*allows 1 enabled agent/);
        expect(await uses(second.id)).toBe(0);
        expect(await agentsOf(tenant.id)).toBe(1);
      },
      240_000,
    );

    withJdk(
      'a revoked or used-up bootstrap token: exit 5; a suspended tenant: exit 8; a copied key: exit 7 PUBLIC_KEY_REGISTERED',
      async () => {
        const tenant = await createTenant(5);
        const revoked = await mint(tenant);
        await api().delete(`/api/tenants/${tenant.id}/bootstrap-tokens/${revoked.id}`).set(bearer(tenant.admin)).expect(204);
        const refused = await (await java([revoked.token, '--state-dir', newStateDir(), '--refreshes', '0'])).done;
        expect(refused.code).toBe(5);
        expect(refused.stderr).toMatch(/^ERROR BOOTSTRAP_TOKEN_REFUSED: /);

        const used = await mint(tenant);
        const stateDir = newStateDir();
        expect((await (await java([used.token, '--state-dir', stateDir, '--refreshes', '0'])).done).code).toBe(0);
        const usedUp = await (await java([used.token, '--state-dir', newStateDir(), '--refreshes', '0'])).done;
        expect(usedUp.code).toBe(5);

        // The registration lost, the key kept: registering it again is refused, and the new token's use is kept.
        unlinkSync(join(stateDir, 'agent.json'));
        const again = await mint(tenant);
        const copied = await (await java([again.token, '--state-dir', stateDir, '--refreshes', '0'])).done;
        expect(copied.code).toBe(7);
        expect(copied.stderr).toMatch(/^ERROR PUBLIC_KEY_REGISTERED: .*\(server: PUBLIC_KEY_REGISTERED: /);
        expect(await uses(again.id)).toBe(0);
        expect(await agentsOf(tenant.id)).toBe(1);

        await api().post(`/api/tenants/${tenant.id}/suspend`).set(bearer(operator)).expect(200);
        const suspended = await (await java([again.token, '--state-dir', newStateDir(), '--refreshes', '0'])).done;
        expect(suspended.code).toBe(8);
        expect(suspended.stderr).toMatch(/^ERROR TENANT_NOT_ACTIVE: /);
      },
      240_000,
    );

    withJdk(
      'a disabled agent: the running client stops with exit 6 at its next refresh, and a restart is refused too',
      async () => {
        const tenant = await createTenant(5);
        const minted = await mint(tenant);
        const stateDir = newStateDir();
        let seen = '';
        const { done } = await java([minted.token, '--state-dir', stateDir, '--refreshes', '1000', '--refresh-margin', '899'], (stdout) => (seen = stdout));
        await eventually(() => expect(seen).toMatch(/^REFRESHED count=1 /m), { within: 60_000 });
        const { agentId } = savedRegistration(stateDir);
        await api().post(`/api/tenants/${tenant.id}/agents/${agentId}/disable`).set(bearer(tenant.admin)).expect(200);
        const stopped = await done;
        expect(stopped.code).toBe(6);
        expect(stopped.stderr).toMatch(/^ERROR AGENT_DISABLED: /m);
        expectNoSecrets(stopped, stateDir);

        const restarted = await (await java(['--state-dir', stateDir, '--refreshes', '0'])).done;
        expect(restarted.code).toBe(6);
        expect(restarted.stderr).toMatch(/^ERROR AGENT_REFUSED: /);
      },
      240_000,
    );

    withJdk('usage: --help (0), an unknown option, a bad URL, or no bootstrap token on a first run (2), nothing written', async () => {
      const help = await (await java(['--help'])).done;
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^usage: java AgentEnrollment\.java/);
      const stateDir = newStateDir();
      for (const args of [['--bogus', 'x'], ['--state-dir', stateDir], ['--state-dir', stateDir, '--refreshes', 'many', 'token']]) {
        const ran = await (await java(args)).done;
        expect(ran.code).toBe(2);
        expect(ran.stderr).toMatch(/usage: java AgentEnrollment\.java/);
      }
      const badUrl = await spawned('java', ['-cp', await javaClasses(), 'AgentEnrollment', 'ftp://example.test', 'token']).done;
      expect(badUrl.code).toBe(2);
      expect(existsSync(stateDir)).toBe(false);
    }, 120_000);
  });

  describe('npm run agent:enroll', () => {
    it('--help documents the exit codes (0); unknown flags, no URL, or no bootstrap token on a first run are usage errors (2) that write nothing', async () => {
      const help = await enroll('--help');
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^usage: npm run agent:enroll/);
      expect(help.stdout).toMatch(/exit codes: 0 ok, 1 failure, 2 usage, 3 license required/);
      const stateDir = newStateDir();
      for (const args of [['--bogus'], [], [baseUrl, '--state-dir', stateDir], ['ftp://example.test', 'token', '--state-dir', stateDir]]) {
        const ran = await enroll(...args);
        expect(ran.code).toBe(2);
        expect(ran.stderr).toMatch(/usage: npm run agent:enroll/);
      }
      expect(existsSync(stateDir)).toBe(false);
    }, 120_000);

    it('registers (JSON summary), then trades assertions for tokens; no license → 3, a copied key → 7, a disabled agent → 6, a revoked token → 5', async () => {
      const tenant = await createTenant(5);
      const minted = await mint(tenant);
      const stateDir = newStateDir();
      const first = await enroll(baseUrl, minted.token, '--state-dir', stateDir, '--name', 'scripted', '--environment', 'dev');
      expect(first.code).toBe(0);
      const summary = JSON.parse(first.stdout) as { agentId: string };
      expect(summary).toEqual({ agentId: expect.stringMatching(new RegExp(`^${UUID}$`)), tenantId: tenant.id, registered: true, expiresIn: 900 });
      expect(statSync(join(stateDir, 'agent.key.pem')).mode & 0o777).toBe(0o600);
      expect(savedRegistration(stateDir)).toMatchObject({ agentId: summary.agentId, assertionAudience: ASSERTION_AUD });

      const again = await enroll(baseUrl, '--state-dir', stateDir);
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toEqual({ agentId: summary.agentId, tenantId: tenant.id, registered: false, expiresIn: 900 });
      const token = (await enroll(baseUrl, '--state-dir', stateDir, '--print-token')).stdout.trim();
      await api().get('/api/agents/me').set(bearer(token)).expect(200);
      expect(await countRows(url(), 'agent_assertion_jtis', 'agent_id = $1', [summary.agentId])).toBe(2);

      // The same key in a fresh directory (a copied key file): refused, the token's use kept.
      const copy = newStateDir();
      mkdirSync(copy, { mode: 0o700 });
      copyFileSync(join(stateDir, 'agent.key.pem'), join(copy, 'agent.key.pem'));
      copyFileSync(join(stateDir, 'agent.pub.pem'), join(copy, 'agent.pub.pem'));
      const second = await mint(tenant);
      const copied = await enroll(baseUrl, second.token, '--state-dir', copy);
      expect(copied.code).toBe(7);
      expect(copied.stderr).toMatch(/PUBLIC_KEY_REGISTERED/);
      expect(await uses(second.id)).toBe(0);

      await api().post(`/api/tenants/${tenant.id}/agents/${summary.agentId}/disable`).set(bearer(tenant.admin)).expect(200);
      const disabled = await enroll(baseUrl, '--state-dir', stateDir);
      expect(disabled.code).toBe(6);

      await api().delete(`/api/tenants/${tenant.id}/bootstrap-tokens/${second.id}`).set(bearer(tenant.admin)).expect(204);
      expect((await enroll(baseUrl, second.token, '--state-dir', newStateDir())).code).toBe(5);

      const unlicensed = await createTenant();
      const third = await mint(unlicensed);
      const refused = await enroll(baseUrl, third.token, '--state-dir', newStateDir());
      expect(refused.code).toBe(3);
      expect(refused.stderr).toMatch(/LICENSE_REQUIRED/);
      for (const ran of [first, again, copied, disabled, refused]) {
        expectNoSecrets(ran, stateDir);
      }
    }, 240_000);
  });

  describe('one agent per public key', () => {
    const register = (token: string, keys: AgentKeys, publicKey: unknown = keys.publicPem) =>
      api().post('/api/agents/register').set(bearer(token)).send({ name: 'dup', publicKey });

    it('a key registered before (in any form, any tenant, disabled or not) is 409 PUBLIC_KEY_REGISTERED, the use kept and the refusal audited', async () => {
      const tenant = await createTenant(10);
      const other = await createTenant(10);
      const keys = agentKeys();
      const first = await register((await mint(tenant)).token, keys).expect(201);
      expect(first.body.assertionAudience).toBe(ASSERTION_AUD);

      for (const [target, publicKey] of [
        [tenant, keys.publicJwk],
        [tenant, keys.publicPem],
        [other, keys.publicPem],
      ] as const) {
        const minted = await mint(target);
        const refused = await register(minted.token, keys, publicKey).expect(409);
        expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(refused.body).toMatchObject({ status: 409, code: 'PUBLIC_KEY_REGISTERED' });
        expect(JSON.stringify(refused.body)).not.toContain(first.body.agentId as string);
        expect(await uses(minted.id)).toBe(0);
        expect(await countRows(url(), 'audit_events', `tenant_id = $1 AND action = 'agent.registration_refused' AND reason = 'public_key_registered' AND target_id = $2`, [target.id, minted.id])).toBe(1);
      }

      await api().post(`/api/tenants/${tenant.id}/agents/${first.body.agentId as string}/disable`).set(bearer(tenant.admin)).expect(200);
      await register((await mint(tenant)).token, keys).expect(409);
      expect(await agentsOf(tenant.id)).toBe(1);
      expect(await agentsOf(other.id)).toBe(0);
    });

    it('two registrations of one key at once: exactly one is an agent', async () => {
      const tenant = await createTenant(10);
      const keys = agentKeys();
      const tokens = await Promise.all([mint(tenant), mint(tenant)]);
      const answers = await Promise.all(tokens.map(({ token }) => register(token, keys)));
      expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409]);
      expect(await agentsOf(tenant.id)).toBe(1);
      expect((await Promise.all(tokens.map(({ id }) => uses(id)))).sort()).toEqual([0, 1]);
    });
  });
});
