#!/usr/bin/env node
'use strict';
// `npm start`: the API in development mode on embedded defaults. Builds, then runs the dev identity
// provider (unless LOGTO_ENDPOINT points at a real Logto) and the API beside it, on loopback.
// Development mode is set here explicitly (CAMELEER_DEV=1); it is refused with NODE_ENV=production.
const { spawn, spawnSync } = require('node:child_process');
const { createInterface } = require('node:readline');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
if (process.env.NODE_ENV === 'production') {
  process.stderr.write('npm start is the development entry; in production run `npm run start:prod`.\n');
  process.exit(1);
}

const env = { ...process.env, CAMELEER_DEV: '1' };
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
      { cwd: root, env: { ...env, DEV_IDP_PORT: env.DEV_IDP_PORT || '3001' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    track(child, (code) => {
      process.stderr.write(`the dev identity provider exited (${code}); is port ${env.DEV_IDP_PORT || 3001} free? Set DEV_IDP_PORT to move it\n`);
      stopAll(1);
    });
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

async function main() {
  build();
  if (!env.LOGTO_ENDPOINT) {
    const idp = await startDevIdp();
    const devConfig = require(path.join(root, 'config/dev-idp.json'));
    const app = devConfig.apps[0];
    env.LOGTO_ENDPOINT = idp.endpoint;
    env.LOGTO_API_RESOURCE = env.LOGTO_API_RESOURCE || devConfig.resources[0].indicator;
    env.LOGTO_M2M_APP_ID = env.LOGTO_M2M_APP_ID || app.clientId;
    env.LOGTO_M2M_APP_SECRET = env.LOGTO_M2M_APP_SECRET || app.clientSecret;
    process.stdout.write(`dev identity provider (Logto-compatible) at ${idp.issuer}\n`);
    process.stdout.write('  mint a token: npm run dev:token -- --user alice --scope platform:read --scope platform:write\n');
  }
  const api = spawn(process.execPath, [path.join(root, 'dist/apps/api/src/main.js')], { cwd: root, env, stdio: 'inherit' });
  // The API ending on its own (it exits 0 after a clean SIGTERM shutdown) ends npm start with its exit code.
  track(api, (code) => stopAll(code ?? 1));
}

main().catch((error) => {
  process.stderr.write(`${error.message}\n`);
  stopAll(1);
});
