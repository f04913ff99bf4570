import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

import { optionsFromEnv, run } from '../../scripts/logto-bootstrap';
import { type DevIdp, MANAGEMENT_API_RESOURCE, startDevIdp } from '../support/dev-idp';

// The edge's sign-in app (issue 15): `npm run logto:bootstrap` registers a Logto Traditional web app with the
// sign-in routes of the auth host, prints its credential once, and keeps its URIs; without an auth host it warns and
// leaves it alone, so existing installs keep bootstrapping.
const API = 'https://api.edge-bootstrap.test';
const REPO_ROOT = resolve(__dirname, '../..');

interface Application {
  id: string;
  name: string;
  type: string;
  oidcClientMetadata: { redirectUris: string[]; postLogoutRedirectUris: string[] };
}

describe('npm run logto:bootstrap: the edge sign-in app', () => {
  let idp: DevIdp;
  let admin: { clientId: string; clientSecret: string };
  let managementToken: string;

  beforeAll(async () => {
    idp = await startDevIdp();
    admin = await idp.registerApp({ scopesByResource: { [MANAGEMENT_API_RESOURCE]: ['all'] } });
    managementToken = await idp.clientCredentialsToken({ ...admin, resource: MANAGEMENT_API_RESOURCE, scope: 'all' });
  });

  afterAll(async () => {
    await idp?.stop();
  });

  const env = (extra: Record<string, string>) => ({
    LOGTO_ENDPOINT: idp.endpoint,
    LOGTO_ADMIN_M2M_APP_ID: admin.clientId,
    LOGTO_ADMIN_M2M_APP_SECRET: admin.clientSecret,
    LOGTO_API_RESOURCE: API,
    ...extra,
  });
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${idp.endpoint}/api${path}`, {
      method,
      headers: { authorization: `Bearer ${managementToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(response.ok).toBe(true);
    return (await response.json()) as T;
  };
  const edgeApps = async () => (await api<Application[]>('GET', '/applications?types=Traditional')).filter((app) => app.name === 'Cameleer edge sign-in');
  const line = (result: Awaited<ReturnType<typeof run>>, name: string) => result.env.find((candidate) => candidate.name === name);

  it('without EDGE_AUTH_HOST or TENANT_BASE_DOMAIN: a warning, no app, no edge env lines', async () => {
    const result = await run(optionsFromEnv(env({})));
    expect(result.warnings).toContainEqual(expect.stringContaining('EDGE_AUTH_HOST and TENANT_BASE_DOMAIN are not set'));
    expect(line(result, 'LOGTO_EDGE_APP_ID')).toBeUndefined();
    expect(await edgeApps()).toEqual([]);
  });

  it('refuses an auth host that is not a host name', () => {
    expect(() => optionsFromEnv(env({ EDGE_AUTH_HOST: 'https://auth.example.com/x' }))).toThrow(/EDGE_AUTH_HOST\/TENANT_BASE_DOMAIN: .* is not a host name/);
  });

  it('a dry run reports the app it would create and creates nothing', async () => {
    const result = await run(optionsFromEnv(env({ TENANT_BASE_DOMAIN: 'edge.test' }), true));
    expect(result.items).toContainEqual(
      expect.objectContaining({ item: 'traditional web app Cameleer edge sign-in', action: 'would create', detail: expect.stringContaining('https://auth.edge.test/api/auth/callback') }),
    );
    expect(await edgeApps()).toEqual([]);
  });

  it('creates the Traditional app for auth.<TENANT_BASE_DOMAIN> and prints a credential that signs a user in', async () => {
    const result = await run(optionsFromEnv(env({ TENANT_BASE_DOMAIN: 'edge.test' })));
    const [app] = await edgeApps();
    expect(app).toMatchObject({
      type: 'Traditional',
      oidcClientMetadata: { redirectUris: ['https://auth.edge.test/api/auth/callback'], postLogoutRedirectUris: ['https://auth.edge.test/api/auth/signed-out'] },
    });
    expect(line(result, 'LOGTO_EDGE_APP_ID')?.value).toBe(app!.id);
    const secret = line(result, 'LOGTO_EDGE_APP_SECRET')?.value;
    expect(secret).toEqual(expect.any(String));

    // The printed credential is a working confidential client: a code exchange with it succeeds.
    const authorize = new URL(`${idp.issuer}/auth`);
    Object.entries({
      client_id: app!.id,
      redirect_uri: 'https://auth.edge.test/api/auth/callback',
      response_type: 'code',
      scope: 'openid offline_access',
      prompt: 'consent',
      state: 's',
    }).forEach(([name, value]) => authorize.searchParams.set(name, value));
    await api('POST', '/users', { username: 'edge_user', password: 'edge-Passw0rd' });
    const callback = new URL(await idp.signInWithPassword({ authorizeUrl: authorize.toString(), username: 'edge_user', password: 'edge-Passw0rd' }));
    const exchanged = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${app!.id}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: 'https://auth.edge.test/api/auth/callback' }),
    });
    expect(exchanged.status).toBe(200);
  });

  it('a rerun changes nothing and prints no secret; EDGE_AUTH_HOST wins over the default and sets the URIs back', async () => {
    const rerun = await run(optionsFromEnv(env({ TENANT_BASE_DOMAIN: 'edge.test' })));
    expect(rerun.changed).toBe(false);
    expect(line(rerun, 'LOGTO_EDGE_APP_SECRET')).toMatchObject({ note: expect.stringContaining('unchanged') });
    expect(line(rerun, 'LOGTO_EDGE_APP_SECRET')?.value).toBeUndefined();

    const moved = await run(optionsFromEnv(env({ TENANT_BASE_DOMAIN: 'edge.test', EDGE_AUTH_HOST: 'login.edge.test' })));
    expect(moved.items).toContainEqual(expect.objectContaining({ item: 'traditional web app Cameleer edge sign-in', action: 'updated' }));
    const [app] = await edgeApps();
    expect(app!.oidcClientMetadata).toMatchObject({
      redirectUris: ['https://login.edge.test/api/auth/callback'],
      postLogoutRedirectUris: ['https://login.edge.test/api/auth/signed-out'],
    });
    expect(await edgeApps()).toHaveLength(1);
  });

  it('the CLI prints the edge env lines', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['-r', './scripts/register-ts.js', 'scripts/logto-bootstrap.ts'], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, ...env({ EDGE_AUTH_HOST: 'login.edge.test' }) },
    });
    expect(stdout).toMatch(/^LOGTO_EDGE_APP_ID=[0-9a-z]{21}$/m);
    expect(stdout).toMatch(/^# LOGTO_EDGE_APP_SECRET: unchanged/m);
  });
});
