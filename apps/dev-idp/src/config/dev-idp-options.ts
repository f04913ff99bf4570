import { resolve } from 'node:path';

import { CliFailure, EXIT_USAGE, integerValue } from '@app/cli';

import { DEFAULT_API_RESOURCE } from '../constants';
import { type DevIdpConfigFile, loadConfigFile } from './config-file';

/** Logto's default port, so `npm run dev:idp` stands in for a local Logto without reconfiguring anything. */
const DEFAULT_PORT = 3001;

/** The flags both `dev:idp` and `dev:token` take (the token is signed with the same data dir and issuer). */
export const DEV_IDP_FLAGS = {
  port: { type: 'string' },
  endpoint: { type: 'string' },
  'data-dir': { type: 'string' },
  'api-resource': { type: 'string' },
  config: { type: 'string' },
} as const;

export const DEV_IDP_FLAGS_HELP = [
  `  --port <port>          where it listens on 127.0.0.1 (default: $DEV_IDP_PORT or ${DEFAULT_PORT}; 0 picks a free port)`,
  '  --endpoint <url>       public base URL if not http://127.0.0.1:<port> (default: $DEV_IDP_ENDPOINT)',
  '  --data-dir <dir>       holds the signing key (default: $DEV_IDP_DATA_DIR or .data/dev-idp)',
  `  --api-resource <url>   the API resource indicator (default: $LOGTO_API_RESOURCE or ${DEFAULT_API_RESOURCE})`,
  '  --config <file>        extra API resources and apps, JSON (default: $DEV_IDP_CONFIG)',
].join('\n');

export type DevIdpFlags = { readonly [name in keyof typeof DEV_IDP_FLAGS]?: string };

export interface DevIdpOptions {
  port: number;
  /** Public base URL (issuer = `<endpoint>/oidc`); defaults to `http://127.0.0.1:<listening port>`. */
  endpoint?: string;
  dataDir: string;
  /** The product's API resource indicator: always known to the provider, with the scopes from the config file. */
  apiResource: string;
  config: DevIdpConfigFile;
}

/**
 * Flags win over environment variables, which win over defaults; an empty variable counts as unset (as everywhere in
 * cameleer-saas). A bad value is a usage error naming its source.
 */
export function resolveOptions(flags: DevIdpFlags, environment: NodeJS.ProcessEnv = process.env): DevIdpOptions {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''));
  const port =
    flags.port !== undefined
      ? integerValue('port', flags.port, { min: 0, max: 65535 })
      : env.DEV_IDP_PORT !== undefined
        ? portFromEnv(env.DEV_IDP_PORT)
        : DEFAULT_PORT;
  const endpoint = flags.endpoint ?? env.DEV_IDP_ENDPOINT;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint)) {
    throw new CliFailure(`the endpoint must be an http(s) URL, got "${endpoint}"`, EXIT_USAGE);
  }
  return {
    port,
    ...(endpoint === undefined ? {} : { endpoint: endpoint.replace(/\/+$/, '') }),
    dataDir: resolve(flags['data-dir'] ?? env.DEV_IDP_DATA_DIR ?? '.data/dev-idp'),
    apiResource: flags['api-resource'] ?? env.LOGTO_API_RESOURCE ?? DEFAULT_API_RESOURCE,
    config: configFile(flags.config ?? env.DEV_IDP_CONFIG, env),
  };
}

function portFromEnv(text: string): number {
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new CliFailure(`DEV_IDP_PORT must be a port from 0 to 65535, got "${text}"`, EXIT_USAGE);
  }
  return port;
}

/** A config file that cannot be used is a bad value (exit 2); one this user may not read stays a permission error. */
function configFile(path: string | undefined, env: NodeJS.ProcessEnv): DevIdpConfigFile {
  try {
    return loadConfigFile(path, env);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw error;
    }
    throw new CliFailure(`cannot use the config file ${path ?? ''}: ${error instanceof Error ? error.message : String(error)}`, EXIT_USAGE);
  }
}
