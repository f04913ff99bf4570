import { allValues, lastValue, parseCliArgs } from '../config/cli-args';
import { resolveOptions } from '../config/dev-idp-options';
import { createDevIdpCore, recordedEndpoint } from '../dev-idp-core';

const USAGE = `Mints a dev IdP access token and prints it.

  npm run dev:token -- --user alice --org <orgId> --scope tenant:read --scope tenant:admin
      [--resource <indicator>]   API resource (default: $LOGTO_API_RESOURCE or https://api.cameleer.local)
      [--organization-token]     Logto organization token instead (aud = urn:logto:organization:<org>)
      [--expires-in <seconds>]
      [--data-dir <dir>] [--config <file>] [--port <port> | --endpoint <url>]   must match the running dev IdP

The token is signed with the key in the data dir, so the dev IdP's JWKS verifies it; the server need not run.`;

/** Builds a provider from the same options as the server (no listening) and mints through it. */
async function main(): Promise<void> {
  const args = parseCliArgs(process.argv.slice(2));
  const sub = lastValue(args, 'user');
  if (args.has('help') || sub === undefined) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(sub === undefined && !args.has('help') ? 2 : 0);
  }
  const options = resolveOptions(args);
  // Without --endpoint: the one the dev IdP on this data dir runs with (npm start's is http://localhost:3001).
  const endpoint = options.endpoint ?? recordedEndpoint(options.dataDir) ?? `http://127.0.0.1:${options.port}`;
  const core = await createDevIdpCore(options, endpoint);

  const organizationId = lastValue(args, 'org');
  const scopes = allValues(args, 'scope').flatMap((value) => value.split(' ')).filter(Boolean);
  const expiresInText = lastValue(args, 'expires-in');
  const expiresIn = expiresInText === undefined ? undefined : Number(expiresInText);
  if (expiresIn !== undefined && !(Number.isInteger(expiresIn) && expiresIn > 0)) {
    throw new Error(`--expires-in must be a positive number of seconds, got "${expiresInText}"`);
  }

  let token: string;
  if (args.has('organization-token')) {
    if (organizationId === undefined) {
      throw new Error('--organization-token needs --org <orgId>');
    }
    token = await core.minter.mintOrganizationToken({ sub, organizationId, scopes, ...(expiresIn ? { expiresIn } : {}) });
  } else {
    token = await core.minter.mintUserToken({
      sub,
      resource: lastValue(args, 'resource') ?? options.apiResource,
      scopes,
      ...(organizationId === undefined ? {} : { organizationId }),
      ...(expiresIn ? { expiresIn } : {}),
    });
  }
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`dev:token: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
