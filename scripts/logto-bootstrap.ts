// npm run logto:bootstrap [-- --dry-run]                      (from a checkout: node -r ./scripts/register-ts.js …)
// node dist/scripts/logto-bootstrap.js [--dry-run]            (from the production image)
//
// Registers in Logto what cameleer-saas needs: its API resource and scopes, the organization roles owner/admin/member
// (users) and tenant-automation (machine-to-machine apps bound to a tenant), the global roles platform-operator
// (users) and platform-automation (machine-to-machine apps), the machine-to-machine app `cameleer-saas` (Management
// API access) and the single-page app "Cameleer UI". Idempotent; refuses while an organization role holds a
// platform:* scope.
//
// Environment:
//   LOGTO_INTERNAL_URL or LOGTO_ENDPOINT        where Logto answers (the internal URL wins when both are set)
//   LOGTO_ADMIN_M2M_APP_ID / _SECRET            an M2M app holding the Management API `all` scope (created once in
//                                               Logto's console; see deploy/README.md)
//   LOGTO_API_RESOURCE                          this API's resource indicator
//   LOGTO_MANAGEMENT_API_RESOURCE               default https://default.logto.app/api
//   CAMELEER_UI_REDIRECT_URIS                   comma-separated redirect URIs of the UI (optional)
//   CAMELEER_UI_POST_LOGOUT_REDIRECT_URIS       comma-separated; default: the redirect URIs' origins + "/"
//   EDGE_AUTH_HOST                              the edge's auth host (default auth.<TENANT_BASE_DOMAIN>): registers the
//                                               Traditional app "Cameleer edge sign-in"; skipped with a warning without
//                                               either variable
//   LOGTO_WEBHOOK_URL                           where Logto sends its webhook (default PUBLIC_URL + /api/webhooks/logto):
//                                               registers the hook "cameleer-saas" and prints LOGTO_WEBHOOK_SIGNING_KEY;
//                                               skipped with a warning without either variable
import { CliFailure, EXIT_FAILED, EXIT_OK, EXIT_USAGE, runCli } from '@app/cli';

import {
  type BootstrapOptions,
  BootstrapRefusedError,
  type BootstrapResult,
  DEFAULT_MANAGEMENT_API_RESOURCE,
  run,
} from './logto-bootstrap/bootstrap';

export {
  type BootstrapOptions,
  BootstrapRefusedError,
  type BootstrapResult,
  type EnvLine,
  type ItemAction,
  type ItemReport,
  run,
} from './logto-bootstrap/bootstrap';

/** Refused: an organization role holds a platform:* scope (see BootstrapRefusedError). */
const EXIT_REFUSED = 3;

export class BootstrapConfigError extends Error {}

/** A DNS host name, optionally with a port (lower or upper case letters, digits, dots and dashes). */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\d{1,5})?$/;

type Env = Record<string, string | undefined>;

/** Options from the environment (empty counts as unset, as everywhere in cameleer-saas). */
export function optionsFromEnv(env: Env, dryRun = false): BootstrapOptions {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const list = (name: string): string[] | undefined => {
    const raw = value(name);
    return raw?.split(',').map((item) => item.trim()).filter((item) => item !== '');
  };
  const problems: string[] = [];
  const baseUrl = value('LOGTO_INTERNAL_URL') ?? value('LOGTO_ENDPOINT');
  if (baseUrl === undefined) {
    problems.push('LOGTO_ENDPOINT or LOGTO_INTERNAL_URL: required (where Logto answers)');
  } else if (!/^https?:\/\//.test(baseUrl) || !URL.canParse(baseUrl)) {
    problems.push(`LOGTO_INTERNAL_URL/LOGTO_ENDPOINT: not an http(s) URL`);
  }
  const adminAppId = value('LOGTO_ADMIN_M2M_APP_ID');
  const adminAppSecret = value('LOGTO_ADMIN_M2M_APP_SECRET');
  if (adminAppId === undefined) {
    problems.push('LOGTO_ADMIN_M2M_APP_ID: required (an M2M app with the "Logto Management API access" role)');
  }
  if (adminAppSecret === undefined) {
    problems.push('LOGTO_ADMIN_M2M_APP_SECRET: required');
  }
  const apiResource = value('LOGTO_API_RESOURCE');
  if (apiResource === undefined) {
    problems.push("LOGTO_API_RESOURCE: required (this API's resource indicator, e.g. https://api.example.com)");
  }
  const uiRedirectUris = list('CAMELEER_UI_REDIRECT_URIS');
  const uiPostLogoutRedirectUris = list('CAMELEER_UI_POST_LOGOUT_REDIRECT_URIS');
  for (const [name, uris] of [
    ['CAMELEER_UI_REDIRECT_URIS', uiRedirectUris],
    ['CAMELEER_UI_POST_LOGOUT_REDIRECT_URIS', uiPostLogoutRedirectUris],
  ] as const) {
    const bad = (uris ?? []).filter((uri) => !URL.canParse(uri));
    if (bad.length > 0) {
      problems.push(`${name}: not absolute URLs: ${bad.join(', ')}`);
    }
  }
  const edgeAuthHost = value('EDGE_AUTH_HOST') ?? (value('TENANT_BASE_DOMAIN') === undefined ? undefined : `auth.${value('TENANT_BASE_DOMAIN')}`);
  if (edgeAuthHost !== undefined && !HOST_NAME.test(edgeAuthHost)) {
    problems.push(`EDGE_AUTH_HOST/TENANT_BASE_DOMAIN: "${edgeAuthHost}" is not a host name (no scheme, no path)`);
  }
  const publicUrl = value('PUBLIC_URL');
  const webhookUrl = value('LOGTO_WEBHOOK_URL') ?? (publicUrl === undefined ? undefined : `${publicUrl.replace(/\/+$/, '')}/api/webhooks/logto`);
  if (webhookUrl !== undefined && (!/^https?:\/\//.test(webhookUrl) || !URL.canParse(webhookUrl))) {
    problems.push(`LOGTO_WEBHOOK_URL/PUBLIC_URL: "${webhookUrl}" is not an http(s) URL`);
  }
  if (problems.length > 0 || baseUrl === undefined || adminAppId === undefined || adminAppSecret === undefined || apiResource === undefined) {
    throw new BootstrapConfigError(`Logto bootstrap is not configured:\n  ${problems.join('\n  ')}`);
  }
  return {
    baseUrl,
    adminAppId,
    adminAppSecret,
    apiResource,
    managementApiResource: value('LOGTO_MANAGEMENT_API_RESOURCE') ?? DEFAULT_MANAGEMENT_API_RESOURCE,
    ...(uiRedirectUris === undefined ? {} : { uiRedirectUris }),
    ...(uiPostLogoutRedirectUris === undefined ? {} : { uiPostLogoutRedirectUris }),
    ...(edgeAuthHost === undefined ? {} : { edgeAuthHost }),
    ...(webhookUrl === undefined ? {} : { webhookUrl }),
    dryRun,
  };
}

/** The human-readable report: one line per item, a count, warnings, and the env lines to copy. */
export function formatResult(result: BootstrapResult, baseUrl: string): string {
  const lines = [`Logto bootstrap${result.dryRun ? ' (dry run: nothing is changed)' : ''} against ${baseUrl}`, ''];
  const width = Math.max(...result.items.map((item) => item.action.length));
  for (const { item, action, detail } of result.items) {
    lines.push(`  ${action.padEnd(width)}  ${item}${detail === undefined ? '' : ` (${detail})`}`);
  }
  const count = (action: string): number => result.items.filter((item) => item.action === action).length;
  lines.push('');
  if (!result.changed) {
    lines.push(`Nothing to change: all ${result.items.length} items are in place (unchanged).`);
  } else if (result.dryRun) {
    lines.push(`Would create ${count('would create')}, would update ${count('would update')}, unchanged ${count('unchanged')}.`);
  } else {
    lines.push(`Created ${count('created')}, updated ${count('updated')}, unchanged ${count('unchanged')}.`);
  }
  for (const warning of result.warnings) {
    lines.push(`warning: ${warning}`);
  }
  lines.push('', 'Values for deploy/env/cameleer-saas.env:');
  for (const { name, value, note } of result.env) {
    lines.push(value === undefined ? `# ${name}: ${note ?? ''}` : `${name}=${value}${note === undefined ? '' : `   # ${note}`}`);
  }
  return lines.join('\n');
}

/** Runs the bootstrap; its exit codes are listed by --help (and the README). */
export function main(argv: readonly string[], env: Env): Promise<void> {
  return runCli(
    {
      name: 'logto:bootstrap',
      summary: 'Registers in Logto what cameleer-saas needs (API resource, scopes, roles, apps); idempotent. Configured by the environment (see the README).',
      usage: 'npm run logto:bootstrap [-- --dry-run]   (or: node dist/scripts/logto-bootstrap.js [--dry-run])',
      details: '  --dry-run  report what would change and change nothing',
      options: { 'dry-run': { type: 'boolean', default: false } },
      exitCodes: {
        [EXIT_FAILED]: 'Logto failed or refused a call (nothing is rolled back; run it again once fixed)',
        [EXIT_USAGE]: 'usage error, or the environment is incomplete or invalid (every problem is listed)',
        [EXIT_REFUSED]: 'refused: an organization role holds a platform:* scope',
      },
    },
    async ({ values }) => {
      let options: BootstrapOptions;
      try {
        options = optionsFromEnv(env, values['dry-run']);
      } catch (error) {
        throw error instanceof BootstrapConfigError ? new CliFailure(error.message, EXIT_USAGE) : error;
      }
      let result: BootstrapResult;
      try {
        result = await run(options);
      } catch (error) {
        if (error instanceof BootstrapRefusedError) {
          throw new CliFailure(error.message, EXIT_REFUSED);
        }
        // Logto errors name method, path, status and code; never tokens or secrets.
        throw new CliFailure(
          `Logto bootstrap failed: ${error instanceof Error ? error.message : String(error)}\n` +
            'Nothing is rolled back; fix the cause and run it again (it continues where it stopped).',
          EXIT_FAILED,
        );
      }
      console.log(formatResult(result, options.baseUrl));
      return EXIT_OK;
    },
    argv,
  );
}

if (require.main === module) {
  void main(process.argv.slice(2), process.env);
}
