/**
 * A purge pass in a process of its own, for the spec that stops a purge half-way: it boots the real app on the
 * env given as JSON in PURGE_CHILD_ENV and runs TenantPurge.purgeDue once. With CAMELEER_TEST_PURGE_CRASH_AFTER=<step>
 * it exits abruptly (exit code 86, no shutdown hooks, leases left held) as soon as that step has committed: a crash.
 * Test-only: the production purge has no such hook; it only takes the `afterStep` observer this script passes.
 *
 * node -r ./scripts/register-ts.js test/support/purge-child.ts
 */
import { TenantPurge } from '@app/tenants';
import { createApp } from '../../apps/api/src/configure-app';

export const CRASH_EXIT_CODE = 86;

async function main(): Promise<void> {
  const env = JSON.parse(process.env.PURGE_CHILD_ENV ?? '{}') as Record<string, string>;
  const crashAfter = process.env.CAMELEER_TEST_PURGE_CRASH_AFTER;
  const app = await createApp({ env });
  await app.init();
  const purged = await app.get(TenantPurge).purgeDue({
    afterStep: (step, tenant) => {
      if (step === crashAfter) {
        process.stdout.write(`${JSON.stringify({ crashedAfter: step, tenantId: tenant.id })}\n`);
        process.exit(CRASH_EXIT_CODE);
      }
    },
  });
  process.stdout.write(`${JSON.stringify({ purged })}\n`);
  await app.close();
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
