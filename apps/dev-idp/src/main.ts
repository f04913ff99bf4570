import { parseCliArgs } from './config/cli-args';
import { resolveOptions } from './config/dev-idp-options';
import type { ListeningEvent } from './control/control-messages';
import { attachIpcControlChannel } from './control/ipc-channel';
import { createDevIdpCore, recordEndpoint } from './dev-idp-core';
import { FaultInjector } from './http/faults';
import { listenOnLoopback } from './http/http-server';
import { createManagementApi } from './management/management-api';

/** Development and test identity provider speaking Logto's dialect. Never deploy it: see README.md. */
async function main(): Promise<void> {
  const options = resolveOptions(parseCliArgs(process.argv.slice(2)));
  const listening = await listenOnLoopback(options.port);
  const endpoint = options.endpoint ?? `http://127.0.0.1:${listening.port}`;
  const core = await createDevIdpCore(options, endpoint);
  const faults = new FaultInjector();
  // Saved at once, so the IDs of what the start seeded stay the same on the next start.
  core.saveState();
  recordEndpoint(options.dataDir, endpoint);

  listening.attach({
    oidc: core.handleOidc,
    management: createManagementApi({
      issuer: core.issuer,
      keys: core,
      state: core.managementState,
      access: core.access,
      onChange: () => core.saveState(),
    }),
    faults,
  });

  const shutdown = (): void => {
    listening.server.closeAllConnections();
    listening.server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 1_000).unref();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
  attachIpcControlChannel(core, faults, shutdown);

  const event: ListeningEvent = {
    event: 'listening',
    endpoint,
    issuer: core.issuer,
    jwksUri: `${core.issuer}/jwks`,
    kid: core.kid,
  };
  process.stdout.write(`${JSON.stringify(event)}\n`);
  process.send?.(event);
}

main().catch((error: unknown) => {
  process.stderr.write(`dev-idp: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
