import { CliFailure, runCli } from '@app/cli';

import { DEV_IDP_FLAGS, DEV_IDP_FLAGS_HELP, resolveOptions } from './config/dev-idp-options';
import type { ListeningEvent } from './control/control-messages';
import { attachIpcControlChannel } from './control/ipc-channel';
import { createDevIdpCore, recordEndpoint } from './dev-idp-core';
import { FaultInjector } from './http/faults';
import { listenOnLoopback } from './http/http-server';
import { createSignInPage } from './interaction/sign-in-page';
import { createManagementApi } from './management/management-api';

/** Development and test identity provider speaking Logto's dialect. Never deploy it: see README.md. */
async function main(flags: Parameters<typeof resolveOptions>[0]): Promise<void> {
  const options = resolveOptions(flags);
  const listening = await listenOnLoopback(options.port).catch((error: unknown) => {
    const code = (error as { code?: unknown }).code;
    throw code === 'EADDRINUSE' || code === 'EACCES'
      ? new CliFailure(`cannot listen on 127.0.0.1:${options.port} (${String(code)}); choose another --port (0 picks a free one)`)
      : error;
  });
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
      email: core.email,
      signOutUser: (userId) => core.signOutUser(userId),
      onChange: () => core.saveState(),
    }),
    signIn: createSignInPage({
      provider: () => core.provider,
      users: core.managementState,
      isThirdParty: (clientId) => core.access.applications.get(clientId)?.isThirdParty === true,
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

void runCli(
  {
    name: 'dev:idp',
    summary: "Runs the development identity provider (Logto's dialect) on 127.0.0.1 until stopped. Never deploy it.",
    usage: 'npm run dev:idp -- [--port <port>] [--endpoint <url>] [--data-dir <dir>] [--api-resource <url>] [--config <file>]',
    details: `${DEV_IDP_FLAGS_HELP}\nWhen ready it prints one line: {"event":"listening","endpoint":…,"issuer":…,"jwksUri":…,"kid":…}`,
    options: DEV_IDP_FLAGS,
    exitCodes: {
      0: 'stopped by SIGINT or SIGTERM',
      1: 'failed to start: the port is taken, or the data dir or its key cannot be read or written',
      2: 'usage error, or a bad --config file or DEV_IDP_* value',
    },
  },
  ({ values }) => main(values),
).then(() => {
  // A failure after the port opened (an unusable data dir) must not leave the server or the IPC channel holding
  // the process open.
  if (process.exitCode !== undefined && process.exitCode !== 0) {
    process.exit();
  }
});
