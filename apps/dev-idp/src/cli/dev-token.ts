import { EXIT_OK, runCli, UsageError } from '@app/cli';

import { DEV_IDP_FLAGS, DEV_IDP_FLAGS_HELP, resolveOptions } from '../config/dev-idp-options';
import { createDevIdpCore, recordedEndpoint } from '../dev-idp-core';

/** Builds a provider from the same options as the server (no listening) and mints through it. */
void runCli(
  {
    name: 'dev:token',
    summary:
      "Mints a dev IdP access token and prints it. It is signed with the key in the data dir, so the dev IdP's JWKS verifies it; the server need not run.",
    usage: 'npm run -s dev:token -- --user <id> [--org <orgId>] [--scope <scope>]... [--resource <indicator>] [--organization-token] [--expires-in <s>]',
    details: [
      '  --user <id>            the token subject (required)',
      '  --org <orgId>          an organization-scoped token (organization_id claim)',
      '  --scope <scope>        a scope; repeat it, or give several separated by spaces',
      '  --resource <url>       the audience (default: the API resource below)',
      '  --organization-token   a Logto organization token instead (aud = urn:logto:organization:<org>); needs --org',
      '  --expires-in <s>       lifetime in seconds (default: the resource\'s)',
      'Must match the running dev IdP:',
      DEV_IDP_FLAGS_HELP,
    ].join('\n'),
    options: {
      user: { type: 'string' },
      org: { type: 'string' },
      scope: { type: 'string', multiple: true },
      resource: { type: 'string' },
      'organization-token': { type: 'boolean', default: false },
      'expires-in': { type: 'string' },
      ...DEV_IDP_FLAGS,
    },
    exitCodes: { 1: 'failed: the data dir or its key cannot be read or written' },
  },
  async ({ values }) => {
    const sub = values.user;
    if (sub === undefined || sub === '') {
      throw new UsageError('--user is required');
    }
    const expiresInText = values['expires-in'];
    const expiresIn = expiresInText === undefined ? undefined : Number(expiresInText);
    if (expiresIn !== undefined && !(/^\d+$/.test(expiresInText ?? '') && Number.isSafeInteger(expiresIn) && expiresIn > 0)) {
      throw new UsageError(`--expires-in must be a positive number of seconds, got "${expiresInText}"`);
    }
    const organizationId = values.org;
    if (values['organization-token'] && organizationId === undefined) {
      throw new UsageError('--organization-token needs --org <orgId>');
    }
    const options = resolveOptions(values);
    // Without --endpoint: the one the dev IdP on this data dir runs with (npm start's is http://localhost:3001).
    const core = await createDevIdpCore(options, options.endpoint ?? recordedEndpoint(options.dataDir) ?? `http://127.0.0.1:${options.port}`);
    const scopes = (values.scope ?? []).flatMap((value) => value.split(' ')).filter(Boolean);

    let token: string;
    if (values['organization-token'] && organizationId !== undefined) {
      token = await core.minter.mintOrganizationToken({ sub, organizationId, scopes, ...(expiresIn ? { expiresIn } : {}) });
    } else {
      token = await core.minter.mintUserToken({
        sub,
        resource: values.resource ?? options.apiResource,
        scopes,
        ...(organizationId === undefined ? {} : { organizationId }),
        ...(expiresIn ? { expiresIn } : {}),
      });
    }
    process.stdout.write(`${token}\n`);
    return EXIT_OK;
  },
);
