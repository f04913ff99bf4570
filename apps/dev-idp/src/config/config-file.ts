import { readFileSync } from 'node:fs';

export interface ResourceDefinition {
  indicator: string;
  name?: string;
  scopes: string[];
  accessTokenTtl?: number;
}

export interface AppDefinition {
  clientId: string;
  clientSecret: string;
  name?: string;
  /** Which scopes the app may obtain, per API resource indicator; anything else requested is dropped, like Logto. */
  scopesByResource: Record<string, string[]>;
}

/** The optional `--config <file>` JSON: extra API resources and pre-registered machine-to-machine apps. */
export interface DevIdpConfigFile {
  resources: ResourceDefinition[];
  apps: AppDefinition[];
}

const EMPTY_CONFIG: DevIdpConfigFile = { resources: [], apps: [] };

export function loadConfigFile(path: string | undefined): DevIdpConfigFile {
  if (path === undefined) {
    return EMPTY_CONFIG;
  }
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isRecord(raw)) {
    throw new Error(`${path}: expected a JSON object`);
  }
  return {
    resources: arrayAt(raw, 'resources', path).map((entry, i) => parseResource(entry, `${path}: resources[${i}]`)),
    apps: arrayAt(raw, 'apps', path).map((entry, i) => parseApp(entry, `${path}: apps[${i}]`)),
  };
}

function parseResource(entry: unknown, where: string): ResourceDefinition {
  if (!isRecord(entry) || typeof entry.indicator !== 'string' || !isStringArray(entry.scopes ?? [])) {
    throw new Error(`${where}: expected { indicator: string, scopes?: string[], name?, accessTokenTtl? }`);
  }
  return {
    indicator: entry.indicator,
    scopes: (entry.scopes ?? []) as string[],
    ...(typeof entry.name === 'string' ? { name: entry.name } : {}),
    ...(typeof entry.accessTokenTtl === 'number' ? { accessTokenTtl: entry.accessTokenTtl } : {}),
  };
}

function parseApp(entry: unknown, where: string): AppDefinition {
  if (
    !isRecord(entry) ||
    typeof entry.clientId !== 'string' ||
    typeof entry.clientSecret !== 'string' ||
    !isScopesByResource(entry.scopesByResource)
  ) {
    throw new Error(`${where}: expected { clientId, clientSecret, scopesByResource: { [indicator]: string[] } }`);
  }
  return {
    clientId: entry.clientId,
    clientSecret: entry.clientSecret,
    scopesByResource: entry.scopesByResource,
    ...(typeof entry.name === 'string' ? { name: entry.name } : {}),
  };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

export const isScopesByResource = (value: unknown): value is Record<string, string[]> =>
  isRecord(value) && Object.values(value).every(isStringArray);

function arrayAt(raw: Record<string, unknown>, key: string, path: string): unknown[] {
  const value = raw[key] ?? [];
  if (!Array.isArray(value)) {
    throw new Error(`${path}: "${key}" must be an array`);
  }
  return value;
}
