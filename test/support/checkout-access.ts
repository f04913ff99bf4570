import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/**
 * Whether an unprivileged user (`uid`/`gid`) can run this checkout's scripts at all. A checkout under a folder only
 * root may enter (a fresh clone in `mktemp -d`, mode 0700) stops such a user before any file a test prepared does, so
 * the tests that run a command as another user are skipped then, with the reason printed; under
 * CAMELEER_TEST_REQUIRE_ALL=1 (CI) that throws, since a skip fails the run (the rule of requiresServer()).
 */
export function checkoutReachableBy(user: { uid: number; gid: number; name: string }, what: string): boolean {
  const probe = spawnSync(process.execPath, ['-e', `require('node:fs').accessSync(${JSON.stringify(join(ROOT, 'scripts', 'register-ts.js'))})`], {
    cwd: '/',
    uid: user.uid,
    gid: user.gid,
    timeout: 10_000,
  });
  if (probe.error === undefined && probe.status === 0) {
    return true;
  }
  const why = `${user.name} (uid ${user.uid}) cannot reach this checkout (${ROOT}) or the node binary: a folder above it is closed to others`;
  if (process.env.CAMELEER_TEST_REQUIRE_ALL === '1') {
    throw new Error(`${what} run as ${user.name}, but ${why}`);
  }
  process.stdout.write(`skipped (${what} run as ${user.name}): ${why}\n`);
  return false;
}
