import { resolve } from 'node:path';

import { DEFAULT_API_RESOURCE } from '../constants';
import { type CliArgs, lastValue } from './cli-args';
import { type DevIdpConfigFile, loadConfigFile } from './config-file';

/** Logto's default port, so `npm run dev:idp` stands in for a local Logto without reconfiguring anything. */
const DEFAULT_PORT = 3001;

export interface DevIdpOptions {
  port: number;
  /** Public base URL (issuer = `<endpoint>/oidc`); defaults to `http://127.0.0.1:<listening port>`. */
  endpoint?: string;
  dataDir: string;
  /** The product's API resource indicator: always known to the provider, with the scopes from the config file. */
  apiResource: string;
  config: DevIdpConfigFile;
}

/** Flags win over environment variables, which win over defaults. */
export function resolveOptions(args: CliArgs, env: NodeJS.ProcessEnv = process.env): DevIdpOptions {
  const portText = lastValue(args, 'port') ?? env.DEV_IDP_PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`Invalid port "${portText}"`);
  }
  const endpoint = lastValue(args, 'endpoint') ?? env.DEV_IDP_ENDPOINT;
  return {
    port,
    ...(endpoint === undefined ? {} : { endpoint: endpoint.replace(/\/+$/, '') }),
    dataDir: resolve(lastValue(args, 'data-dir') ?? env.DEV_IDP_DATA_DIR ?? '.data/dev-idp'),
    apiResource: lastValue(args, 'api-resource') ?? env.LOGTO_API_RESOURCE ?? DEFAULT_API_RESOURCE,
    config: loadConfigFile(lastValue(args, 'config') ?? env.DEV_IDP_CONFIG),
  };
}
