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

/** A user that exists from the start (Logto has users only once created; these stand in for the ones an admin made). */
export interface UserDefinition {
  /** Logto user ids are 12 characters of [0-9a-z] (core-kit `generateStandardShortId`); fixed here so docs can name them. */
  id: string;
  username: string;
  /** Development only: kept hashed in memory, for a later sign-in flow. */
  password: string;
  name?: string;
}

/** The optional `--config <file>` JSON: extra API resources, pre-registered machine-to-machine apps and seeded users. */
export interface DevIdpConfigFile {
  resources: ResourceDefinition[];
  apps: AppDefinition[];
  users: UserDefinition[];
}

const EMPTY_CONFIG: DevIdpConfigFile = { resources: [], apps: [], users: [] };

/** Logto's user ID alphabet and length (packages/shared `generateStandardShortId`: 12 of [0-9a-z]). */
const USER_ID = /^[0-9a-z]{12}$/;
/** Logto's username rule (packages/toolkit/core-kit src/regex.ts `usernameRegEx`). */
export const USERNAME = /^[A-Z_a-z]\w*$/;

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
    users: uniqueUsers(arrayAt(raw, 'users', path).map((entry, i) => parseUser(entry, `${path}: users[${i}]`)), path),
  };
}

function parseUser(entry: unknown, where: string): UserDefinition {
  if (
    !isRecord(entry) ||
    typeof entry.id !== 'string' ||
    !USER_ID.test(entry.id) ||
    typeof entry.username !== 'string' ||
    !USERNAME.test(entry.username) ||
    typeof entry.password !== 'string' ||
    entry.password.length === 0 ||
    (entry.name !== undefined && typeof entry.name !== 'string')
  ) {
    throw new Error(`${where}: expected { id: 12 of [0-9a-z], username: ${USERNAME.source}, password: non-empty, name? }`);
  }
  return { id: entry.id, username: entry.username, password: entry.password, ...(typeof entry.name === 'string' ? { name: entry.name } : {}) };
}

function uniqueUsers(users: UserDefinition[], path: string): UserDefinition[] {
  for (const key of ['id', 'username'] as const) {
    const seen = new Set<string>();
    for (const user of users) {
      if (seen.has(user[key])) {
        throw new Error(`${path}: two users share the ${key} "${user[key]}"`);
      }
      seen.add(user[key]);
    }
  }
  return users;
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
