import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { eventually } from '../support/eventually';
import { itWithTool } from '../support/requires-tool';

const ROOT = resolve(__dirname, '../..');

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/** The pid of the child of `parent` whose command line runs `script` (Linux /proc). */
function childRunning(parent: number, script: string): number {
  const children = readdirSync(`/proc/${parent}/task`).flatMap((task) =>
    readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
  const pid = children.find((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').includes(script));
  if (pid === undefined) {
    throw new Error(`no child of ${parent} runs ${script}`);
  }
  return pid;
}

interface Started {
  readonly process: ChildProcess;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Everything it printed so far (stdout and stderr, in arrival order). */
  output(): string;
}

const BANNER = 'cameleer-saas is running in development mode';
const CHROMIUM = '/usr/bin/chromium';

/** `npm start` as a developer runs it: build, the dev IdP and the API on embedded defaults, all in a temp dir. */
describe('npm start (scripts/start-dev.js)', () => {
  let dataDir: string;
  let port: number;
  let idpPort: number;
  let edgePort: number;
  let env: NodeJS.ProcessEnv;
  let start: Started | undefined;

  const api = (path: string) => `http://127.0.0.1:${port}${path}`;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  function startDev(): Started {
    // Its own process group, so a failed test can end npm start together with the dev IdP and the API it started
    // (a SIGKILL to npm start alone would orphan them, and their open pipes would keep Jest from exiting).
    const child = spawn(process.execPath, [join(ROOT, 'scripts/start-dev.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => {
        output += chunk;
      });
    }
    return { process: child, exited: once(child, 'exit') as Started['exited'], output: () => output };
  }

  /**
   * Waits for the banner: the build and a first boot (migrations on a fresh embedded database) take minutes on a
   * busy shared machine.
   */
  async function bannerOf(started: Started): Promise<string> {
    const banner = await eventually(
      () => {
        expect(started.process.exitCode).toBeNull();
        const at = started.output().indexOf(BANNER);
        expect(at).toBeGreaterThanOrEqual(0);
        return started.output().slice(at);
      },
      { within: 540_000, every: 500 },
    ).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\nnpm start said:\n${started.output().slice(-8_000)}`);
    });
    // The banner is the last thing printed: nothing follows it while the service idles.
    await new Promise((resolveWait) => setTimeout(resolveWait, 2_000));
    expect(started.output().slice(started.output().indexOf(BANNER))).toBe(banner);
    return banner;
  }

  /** `npm run -s dev:token -- …` exactly as the banner says, in the test's data dir. */
  async function devToken(...args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)('npm', ['run', '-s', 'dev:token', '--', ...args], { cwd: ROOT, env });
    return stdout.trim();
  }

  async function stop(started: Started): Promise<void> {
    started.process.kill('SIGTERM');
    const [code, signal] = await started.exited;
    expect({ code, signal, output: code === 0 ? '' : started.output().slice(-4_000) }).toEqual({ code: 0, signal: null, output: '' });
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'start-dev-'));
    [port, idpPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    // Only what npm start needs: no DATABASE_URL, LOGTO_* or TENANT_BASE_DOMAIN from the caller, so it runs on its defaults.
    env = {
      PATH: process.env.PATH,
      HOME: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      DEV_IDP_PORT: String(idpPort),
      DEV_EDGE_PORT: String(edgePort),
      DEV_IDP_DATA_DIR: join(dataDir, 'dev-idp'),
      EMBEDDED_DB_DIR: join(dataDir, 'pglite'),
      KEYS_DIR: join(dataDir, 'keys'),
      // The default tenant is provisioned by the reconciler; a short interval keeps the test short.
      TENANT_RECONCILE_INTERVAL_MS: '500',
    };
  });

  afterAll(() => {
    killGroup(start?.process);
    rmSync(dataDir, { recursive: true, force: true });
  });

  let operator: string;
  let acme: { id: string; logtoOrganizationId: string };
  let owner: string;

  it('prints a banner last, naming every host localhost: the API docs, the dev IdP, how to mint a token and a forward-auth curl; boot logs are short', async () => {
    start = startDev();
    const banner = await bannerOf(start);
    expect(banner).toContain(`http://localhost:${port}/api/docs`);
    expect(banner).toContain(`http://localhost:${idpPort}`);
    expect(banner).toContain('TOKEN=$(npm run -s dev:token -- --user olivia --scope platform:read --scope platform:write)');
    expect(banner).toContain(
      `curl -si -H "Authorization: Bearer $TOKEN" -H "X-Forwarded-Host: demo.cameleer.localhost" http://localhost:${port}/api/auth/verify`,
    );
    expect(banner).toContain(`open http://demo.cameleer.localhost:${edgePort}/ and sign in as alice / alice-dev-password`);
    expect(banner).not.toContain('127.0.0.1');
    const boot = start.output().slice(0, start.output().indexOf(BANNER));
    // No line per Nest module or route; the oidc-provider runtime warning aside, a handful of lines.
    expect(boot).not.toMatch(/InstanceLoader|RouterExplorer|Mapped \{/);
    // One line per migration on a fresh database is wanted (and grows with the schema): not counted.
    expect(boot.split('\n').filter((line) => line.trim() !== '' && !line.includes('applied migration')).length).toBeLessThan(25);
  }, 600_000);

  it("lets the banner's operator token through forward-auth into the default tenant at demo.cameleer.localhost; a 404 names the host", async () => {
    operator = await devToken('--user', 'olivia', '--scope', 'platform:read', '--scope', 'platform:write');
    // As the banner's curl sends it (curl resolves *.localhost to loopback; the API reads only X-Forwarded-Host).
    await eventually(
      async () => {
        const verified = await fetch(api('/api/auth/verify'), { headers: { ...bearer(operator), 'x-forwarded-host': 'demo.cameleer.localhost' } });
        expect(verified.status).toBe(200);
        expect(verified.headers.get('x-cameleer-tenant-slug')).toBe('demo');
      },
      { within: 30_000, every: 250 },
    );
    // Through the dev edge, as a browser reaches the tenant: forward-auth lets the token in, the stub upstream shows what it got.
    const edge = await getWithHost(`http://127.0.0.1:${edgePort}/dashboard`, { ...bearer(operator), host: `demo.cameleer.localhost:${edgePort}`, accept: 'application/json', cookie: 'theme=dark' });
    expect({ status: edge.status, body: JSON.parse(edge.body) as unknown }).toMatchObject({
      status: 200,
      body: { url: '/dashboard', identity: { 'x-cameleer-tenant-slug': 'demo', 'x-cameleer-principal': 'user' }, cookie: 'theme=dark' },
    });
    const missing = await fetch(api('/api/auth/verify'), { headers: { ...bearer(operator), 'x-forwarded-host': 'nope.cameleer.localhost' } });
    expect({ status: missing.status, body: await missing.json() }).toMatchObject({
      status: 404,
      body: { code: 'NOT_FOUND', detail: 'No such tenant at host "nope.cameleer.localhost".' },
    });
  }, 60_000);

  itWithTool(CHROMIUM, ['--version'], "the banner's browser flow (Debian's chromium package)")(
    "signs alice in through the banner's URL in Chromium: the dev IdP, back to the demo tenant's stub page with her identity; signed out, the next visit asks again",
    async () => {
      // No resolver rules: Chromium itself resolves *.localhost to loopback, as for a developer.
      const browser = await chromium.launch({ executablePath: CHROMIUM });
      try {
        const page = await (await browser.newContext()).newPage();
        const tenantUrl = `http://demo.cameleer.localhost:${edgePort}/`;
        // The dev IdP's sign-in page, at its issuer's host (not the internal address the API asks discovery at).
        const devIdpOrigin = `http://localhost:${idpPort}`;
        await page.goto(tenantUrl);
        expect(new URL(page.url()).origin).toBe(devIdpOrigin);
        await page.fill('input[name="username"]', 'alice');
        await page.fill('input[name="password"]', 'alice-dev-password');
        await Promise.all([page.waitForURL(tenantUrl), page.click('button[type="submit"]')]);
        expect(await page.textContent('h1')).toBe('cameleer3-server would answer here');
        const identity: Record<string, string> = {};
        for (const row of await page.locator('#identity tr').all()) {
          identity[(await row.locator('th').textContent()) ?? ''] = (await row.locator('td').textContent()) ?? '';
        }
        expect(identity).toMatchObject({ 'x-cameleer-tenant-slug': 'demo', 'x-cameleer-subject': 'aliceown0001', 'x-cameleer-principal': 'user' });
        // Sign out through the confirmation form: the dev IdP ends its session and sends the browser back.
        await page.goto(`http://auth.cameleer.localhost:${edgePort}/api/auth/logout`);
        await Promise.all([page.waitForURL(`http://auth.cameleer.localhost:${edgePort}/api/auth/signed-out`), page.click('button[type="submit"]')]);
        await page.goto(tenantUrl);
        expect(new URL(page.url()).origin).toBe(devIdpOrigin);
        await page.waitForSelector('input[name="password"]');
      } finally {
        await browser.close();
      }
    },
    120_000,
  );

  it('makes a tenant with a seeded owner ACTIVE (the dev IdP has the bootstrap organization roles), and its owner gets in', async () => {
    const created = await fetch(api('/api/tenants'), {
      method: 'POST',
      headers: { ...bearer(operator), 'content-type': 'application/json' },
      body: JSON.stringify({ slug: 'acme', name: 'Acme', ownerUserId: 'aliceown0001' }),
    });
    const body = (await created.json()) as { id: string; status: string; logtoOrganizationId: string };
    expect({ status: created.status, tenantStatus: body.status }).toEqual({ status: 201, tenantStatus: 'ACTIVE' });
    acme = body;
    owner = await devToken('--user', 'aliceown0001', '--org', acme.logtoOrganizationId, '--scope', 'tenant:read', '--scope', 'tenant:admin');
    const verified = await fetch(api('/api/auth/verify'), { headers: { ...bearer(owner), 'x-forwarded-host': 'acme.cameleer.localhost' } });
    expect(verified.status).toBe(200);
  }, 60_000);

  it('keeps tenants and tokens valid across a restart: the dev IdP keeps its organizations, memberships and keys', async () => {
    await stop(start!);
    start = startDev();
    await bannerOf(start);
    const tenant = await fetch(api(`/api/tenants/${acme.id}`), { headers: bearer(operator) });
    expect(tenant.status).toBe(200);
    expect(await tenant.json()).toMatchObject({ status: 'ACTIVE', logtoOrganizationId: acme.logtoOrganizationId });
    const me = await fetch(api('/api/auth/me'), { headers: bearer(owner) });
    expect(await me.json()).toMatchObject({ subject: 'aliceown0001', tenantId: acme.id });
    const verified = await fetch(api('/api/auth/verify'), { headers: { ...bearer(owner), 'x-forwarded-host': 'acme.cameleer.localhost' } });
    expect(verified.status).toBe(200);
    // Reconciliation against the restarted dev IdP finds the organization in place: nothing missing, nothing recreated.
    const report = await fetch(api('/api/tenants/reconcile'), { method: 'POST', headers: bearer(operator) });
    expect(report.status).toBe(200);
    expect((await (await fetch(api(`/api/tenants/${acme.id}`), { headers: bearer(operator) })).json()) as object).toMatchObject({
      logtoOrganizationId: acme.logtoOrganizationId,
    });
  }, 660_000);

  it("wires the dev IdP's webhook to the API: a member removed in the dev IdP is refused within a second", async () => {
    const idp = `http://127.0.0.1:${idpPort}`;
    const tokenResponse = await fetch(`${idp}/oidc/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('cameleer-saas-dev:development-only-not-a-secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://default.logto.app/api', scope: 'all' }),
    });
    const { access_token: management } = (await tokenResponse.json()) as { access_token: string };
    const members = `${idp}/api/organizations/${acme.logtoOrganizationId}/users`;
    const added = await fetch(members, { method: 'POST', headers: { ...bearer(management), 'content-type': 'application/json' }, body: JSON.stringify({ userIds: ['bobmember001'] }) });
    expect(added.status).toBe(201);
    const bob = await devToken('--user', 'bobmember001', '--org', acme.logtoOrganizationId, '--scope', 'tenant:read');
    const verify = () => fetch(api('/api/auth/verify'), { headers: { ...bearer(bob), 'x-forwarded-host': 'acme.cameleer.localhost' } });
    expect((await verify()).status).toBe(200);
    expect((await fetch(`${members}/bobmember001`, { method: 'DELETE', headers: bearer(management) })).status).toBe(204);
    await eventually(async () => expect((await verify()).status).toBe(401), { within: 1000 });
  }, 60_000);

  it('exits 0 when the API shuts down cleanly on SIGTERM, stopping the dev IdP and leaving nothing listening', async () => {
    const started = start!;
    // What a process manager does to the API: SIGTERM; it drains, exits 0, and npm start follows with 0.
    process.kill(childRunning(started.process.pid!, 'dist/apps/api/src/main.js'), 'SIGTERM');
    const [code, signal] = await started.exited;
    expect({ code, signal, output: code === 0 ? '' : started.output().slice(-4_000) }).toEqual({ code: 0, signal: null, output: '' });
    await expect(fetch(api('/api/health'))).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${idpPort}/oidc/.well-known/openid-configuration`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${edgePort}/`)).rejects.toThrow();
  }, 60_000);
});

/** SIGKILL to the whole process group of `child` (spawned detached), ignoring a group that is already gone. */
function killGroup(child: ChildProcess | undefined): void {
  if (child?.pid === undefined) {
    return;
  }
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw error;
    }
  }
}

/** A GET with the Host header given (fetch() always sends the URL's host). */
function getWithHost(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
