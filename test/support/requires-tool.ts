import { spawnSync } from 'node:child_process';

/**
 * Whether an external tool (openssl, java, caddy) is usable; when it is not, prints why the tests that need it are
 * skipped, or throws under CAMELEER_TEST_REQUIRE_ALL=1 (CI), where a skip fails the run (the rule of requiresServer()).
 */
export function requiresTool(tool: string, versionArgs: string[], reason: string, accept: (versionText: string) => boolean = () => true): boolean {
  const probe = spawnSync(tool, versionArgs, { encoding: 'utf8' });
  const text = `${probe.stdout ?? ''}${probe.stderr ?? ''}`.trim();
  const available = probe.error === undefined && probe.status === 0 && accept(text);
  if (!available) {
    const why = probe.error !== undefined ? `${tool} is not installed` : `${tool} is unsuitable (${text.split('\n')[0] ?? 'no output'})`;
    if (process.env.CAMELEER_TEST_REQUIRE_ALL === '1') {
      throw new Error(`a test needs ${tool} (${reason}) but ${why}`);
    }
    process.stdout.write(`skipped (needs ${tool}: ${reason}): ${why}\n`);
  }
  return available;
}

/**
 * `it` for a test that needs an external tool, `it.skip` (with the printed reason) when it is missing, so such a
 * test is reported as skipped, never as passed. Call it while collecting: `itWithTool('openssl', …)('verifies', …)`.
 */
export function itWithTool(tool: string, versionArgs: string[], reason: string, accept?: (versionText: string) => boolean): jest.It {
  return requiresTool(tool, versionArgs, reason, accept) ? it : it.skip;
}

/** `OpenSSL 3.0.19 27 Jan 2026 ...` → true for major version 3 or later. */
export function isOpenSsl3(versionText: string): boolean {
  const match = /^OpenSSL (\d+)\./.exec(versionText);
  return match !== null && Number(match[1]) >= 3;
}
