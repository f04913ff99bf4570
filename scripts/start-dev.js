#!/usr/bin/env node
'use strict';
// `npm start`: the API in development mode on embedded defaults. Loads `.env` when present (a variable already set
// wins), builds, then runs the dev identity provider (unless LOGTO_ENDPOINT points at a real Logto) and the API
// beside it, on loopback, and prints how to use them once the API is ready.
// Development mode is set here explicitly (CAMELEER_DEV=1); it is refused with NODE_ENV=production.
const { spawn, spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { createInterface } = require('node:readline');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const envFile = path.join(root, '.env');
if (existsSync(envFile)) {
  process.loadEnvFile(envFile);
}
if (process.env.NODE_ENV === 'production') {
  process.stderr.write('npm start is the development entry; in production run `npm run start:prod`.\n');
  process.exit(1);
}

/** An empty variable counts as unset, as in the API's configuration. */
const given = (name) => (process.env[name] === undefined || process.env[name] === '' ? undefined : process.env[name]);

// What `npm start` sets unless already set (.env.example lists them): one host name, localhost, everywhere a URL
// is shown; tenants at <slug>.cameleer.localhost (*.localhost is loopback in browsers and curl); one tenant to try.
const port = given('PORT') ?? '3000';
const idpPort = given('DEV_IDP_PORT') ?? '3001';
// The dev edge (apps/dev-edge, in place of Traefik): tenant hosts through forward-auth, the sign-in host to the API.
const edgePort = given('DEV_EDGE_PORT') ?? '8080';
const tenantBaseDomain = given('TENANT_BASE_DOMAIN') ?? 'cameleer.localhost';
const env = {
  ...process.env,
  CAMELEER_DEV: '1',
  PORT: port,
  TENANT_BASE_DOMAIN: tenantBaseDomain,
  EDGE_AUTH_HOST: given('EDGE_AUTH_HOST') ?? `auth.${tenantBaseDomain}`,
  // Plain HTTP on loopback: the cookie is `cameleer_session` without Secure (allowed in development only).
  SESSION_COOKIE_SECURE: given('SESSION_COOKIE_SECURE') ?? 'false',
  // Browsers reach the sign-in host through the dev edge: the edge app's redirect URIs carry its port.
  EDGE_AUTH_PORT: given('EDGE_AUTH_PORT') ?? edgePort,
  LOGTO_API_RESOURCE: given('LOGTO_API_RESOURCE') ?? 'https://api.cameleer.local',
  ...(given('DEFAULT_TENANT_SLUG') === undefined && given('DEFAULT_TENANT_NAME') === undefined
    ? { DEFAULT_TENANT_SLUG: 'demo', DEFAULT_TENANT_NAME: 'Demo' }
    : {}),
};
// alice (config/dev-idp.json) owns the default tenant so the browser flow lands on it, not on "No access". Only
// with the dev IdP (a real Logto has no such user) and a default tenant (the owner needs one).
if (given('DEFAULT_TENANT_OWNER') === undefined && !given('LOGTO_ENDPOINT') && env.DEFAULT_TENANT_SLUG) {
  env.DEFAULT_TENANT_OWNER = 'aliceown0001';
}
const children = new Set();
// Set once a stop began (a signal, or a child that ended): the exit code npm start will report.
let stopCode;

/**
 * Stops every child and exits with `code` once they are gone; a child that ends with an error while stopping
 * turns it into 1. Children that ignore SIGTERM are left behind after a bound.
 */
function stopAll(code) {
  if (stopCode !== undefined) {
    return;
  }
  stopCode = code;
  for (const child of children) {
    child.kill('SIGTERM');
  }
  setTimeout(() => process.exit(stopCode), 15_000).unref();
  exitWhenAllGone();
}

function exitWhenAllGone() {
  if (children.size === 0) {
    process.exit(stopCode);
  }
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

/**
 * Tracks a child. While stopping, a clean exit (code 0, or ended by the stop signal) keeps the exit code and any
 * other makes it 1; a child that ends before any stop calls `onExit`.
 */
function track(child, onExit) {
  children.add(child);
  child.once('exit', (code, signal) => {
    children.delete(child);
    if (stopCode === undefined) {
      onExit(code, signal);
      return;
    }
    if (code !== 0 && signal !== 'SIGTERM' && signal !== 'SIGINT') {
      stopCode = stopCode || 1;
    }
    exitWhenAllGone();
  });
}

function build() {
  process.stdout.write('building…\n');
  const result = spawnSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    process.stderr.write('build failed\n');
    process.exit(result.status ?? 1);
  }
}

function startDevIdp() {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [path.join(root, 'apps/dev-idp/bin/run.js'), '--config', path.join(root, 'config/dev-idp.json')],
      {
        cwd: root,
        // The issuer names the host as the docs do; it still listens on 127.0.0.1 only.
        // DEV_EDGE_PORT and EDGE_AUTH_HOST place the redirect URIs of the edge sign-in app (config/dev-idp.json).
        env: { ...env, DEV_EDGE_PORT: edgePort, DEV_IDP_PORT: idpPort, DEV_IDP_ENDPOINT: given('DEV_IDP_ENDPOINT') ?? `http://localhost:${idpPort}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    track(child, (code) => {
      process.stderr.write(`the dev identity provider exited (${code}); is port ${idpPort} free? Set DEV_IDP_PORT to move it\n`);
      stopAll(1);
    });
    relay(child.stderr, process.stderr, '[dev-idp] ');
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const event = JSON.parse(line);
        if (event.event === 'listening') {
          resolve(event);
        }
      } catch {
        process.stdout.write(`[dev-idp] ${line}\n`);
      }
    });
  });
}

/** The dev edge on DEV_EDGE_PORT; resolves once it listens. */
function startDevEdge() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'apps/dev-edge/bin/run.js')], {
      cwd: root,
      env: { ...env, DEV_EDGE_PORT: edgePort, DEV_EDGE_API_URL: `http://127.0.0.1:${port}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    track(child, (code) => {
      process.stderr.write(`the dev edge exited (${code}); is port ${edgePort} free? Set DEV_EDGE_PORT to move it\n`);
      stopAll(1);
    });
    relay(child.stderr, process.stderr, '[dev-edge] ');
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        if (JSON.parse(line).event === 'listening') {
          resolve();
        }
      } catch {
        process.stdout.write(`[dev-edge] ${line}\n`);
      }
    });
  });
}

/** When a child last wrote a line: the banner waits until the boot logs settle. */
let lastOutputAt = Date.now();

/** Copies a child's output line by line (with a prefix), noting when it last spoke. */
function relay(input, output, prefix = '') {
  createInterface({ input }).on('line', (line) => {
    lastOutputAt = Date.now();
    output.write(`${prefix}${line}\n`);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once the API answers its liveness check and its logs have been quiet for a second (they are written
 * asynchronously and may trail the first answer), at most ten seconds after it answered.
 */
async function apiReady() {
  const health = `http://127.0.0.1:${port}/api/health`;
  for (;;) {
    try {
      if ((await fetch(health, { signal: AbortSignal.timeout(2_000) })).ok) {
        break;
      }
    } catch {
      // Not listening yet.
    }
    await sleep(250);
  }
  const answeredAt = Date.now();
  while (Date.now() - Math.max(lastOutputAt, answeredAt) < 1_000 && Date.now() < answeredAt + 10_000) {
    await sleep(100);
  }
}

/** Printed last: where things are and how to try them, every command runnable as written from the repository. */
function banner(idp) {
  const api = `http://localhost:${port}`;
  const data = given('DATABASE_URL') === undefined ? `; data in ${env.EMBEDDED_DB_DIR || '.data/pglite'}` : '';
  const lines = ['', `cameleer-saas is running in development mode (stop with Ctrl-C${data})`, `  API docs        ${api}/api/docs`];
  if (idp === undefined) {
    lines.push(`  Logto           ${env.LOGTO_ENDPOINT}`);
  } else {
    const host = `${env.DEFAULT_TENANT_SLUG || '<slug>'}.${env.TENANT_BASE_DOMAIN}`;
    lines.push(
      `  dev IdP         ${idp.endpoint} (Logto-compatible; issuer ${idp.issuer}; users olivia, alice, bob from config/dev-idp.json)`,
      '',
      '  Mint an operator token, ask who it is, and pass forward-auth into a tenant (in another shell):',
      '    TOKEN=$(npm run -s dev:token -- --user olivia --scope platform:read --scope platform:write)',
      `    curl -s -H "Authorization: Bearer $TOKEN" ${api}/api/auth/me`,
      `    curl -si -H "Authorization: Bearer $TOKEN" -H "X-Forwarded-Host: ${host}" ${api}/api/auth/verify`,
      '',
      `  In a browser (Chromium: *.localhost is loopback), through the dev edge on port ${edgePort}:`,
      `    open http://${host}:${edgePort}/ and sign in as alice / alice-dev-password`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
}

/**
 * The dev IdP's hook "cameleer-saas" to this API (created, or pointed back at it), through Logto's hooks API as the
 * dev M2M app; returns its signing key. The events are the API's own list (HANDLED_LOGTO_EVENTS, from the build).
 */
async function ensureDevWebhook(idpUrl, app) {
  const { HANDLED_LOGTO_EVENTS } = require(path.join(root, 'dist/libs/logto-webhooks/src/logto-events.js'));
  const url = `http://127.0.0.1:${port}/api/webhooks/logto`;
  const tokenResponse = await fetch(`${idpUrl}/oidc/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', resource: 'https://default.logto.app/api', scope: 'all' }),
  });
  if (!tokenResponse.ok) {
    throw new Error(`the dev IdP refused a Management API token (${tokenResponse.status})`);
  }
  const { access_token: token } = await tokenResponse.json();
  const call = async (method, apiPath, body) => {
    const response = await fetch(`${idpUrl}/api${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`dev IdP ${method} /api${apiPath}: ${response.status}`);
    }
    return response.json();
  };
  const existing = (await call('GET', '/hooks')).find((hook) => hook.name === 'cameleer-saas');
  const hook = existing === undefined
    ? await call('POST', '/hooks', { name: 'cameleer-saas', events: [...HANDLED_LOGTO_EVENTS], config: { url } })
    : await call('PATCH', `/hooks/${existing.id}`, { events: [...HANDLED_LOGTO_EVENTS], config: { url }, enabled: true });
  return hook.signingKey;
}

async function main() {
  build();
  let idp;
  if (!given('LOGTO_ENDPOINT')) {
    idp = await startDevIdp();
    const devConfig = require(path.join(root, 'config/dev-idp.json'));
    const app = devConfig.apps[0];
    env.LOGTO_ENDPOINT = idp.endpoint;
    // The API reaches the dev IdP on the address it listens on, whatever name its issuer carries.
    env.LOGTO_INTERNAL_URL = given('LOGTO_INTERNAL_URL') ?? `http://127.0.0.1:${idpPort}`;
    env.LOGTO_M2M_APP_ID = given('LOGTO_M2M_APP_ID') ?? app.clientId;
    env.LOGTO_M2M_APP_SECRET = given('LOGTO_M2M_APP_SECRET') ?? app.clientSecret;
    // The edge sign-in app (browser sign-in through the dev edge): a Traditional app the dev IdP has from the start.
    const edgeApp = devConfig.traditionalApps[0];
    env.LOGTO_EDGE_APP_ID = given('LOGTO_EDGE_APP_ID') ?? edgeApp.clientId;
    env.LOGTO_EDGE_APP_SECRET = given('LOGTO_EDGE_APP_SECRET') ?? edgeApp.clientSecret;
    // Logto's webhook to this API, so a member removed in the dev IdP is refused at once (as the bootstrap registers
    // it against a real Logto). A LOGTO_WEBHOOK_SIGNING_KEY already set is left alone.
    if (!given('LOGTO_WEBHOOK_SIGNING_KEY')) {
      env.LOGTO_WEBHOOK_SIGNING_KEY = await ensureDevWebhook(env.LOGTO_INTERNAL_URL, app);
    }
  }
  const api = spawn(process.execPath, [path.join(root, 'dist/apps/api/src/main.js')], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  relay(api.stdout, process.stdout);
  relay(api.stderr, process.stderr);
  // The API ending on its own (it exits 0 after a clean SIGTERM shutdown) ends npm start with its exit code.
  track(api, (code) => stopAll(code ?? 1));
  await apiReady();
  await startDevEdge();
  if (stopCode === undefined) {
    banner(idp);
  }
}

main().catch((error) => {
  process.stderr.write(`${error.message}\n`);
  stopAll(1);
});
