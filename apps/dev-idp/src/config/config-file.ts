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

/**
 * A Logto "Traditional" web application that exists from the start (as if created in the console), with a fixed
 * client ID and secret so a development setup can name them (npm start's edge sign-in app).
 */
export interface TraditionalAppDefinition {
  clientId: string;
  clientSecret: string;
  name: string;
  /** `${NAME}` and `${NAME:-default}` are replaced from the dev IdP's environment (e.g. a port chosen at start). */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
}

/** The optional `--config <file>` JSON: extra API resources, pre-registered apps and seeded users. */
export interface DevIdpConfigFile {
  resources: ResourceDefinition[];
  apps: AppDefinition[];
  traditionalApps: TraditionalAppDefinition[];
  users: UserDefinition[];
  /**
   * Start as a Logto that `npm run logto:bootstrap` has run against (management/bootstrapped-seed.ts): the API
   * resource (`--api-resource`) with its scopes, the organization roles and the global roles.
   */
  seedLogtoBootstrap: boolean;
}

const EMPTY_CONFIG: DevIdpConfigFile = { resources: [], apps: [], traditionalApps: [], users: [], seedLogtoBootstrap: false };

/** Logto's user ID alphabet and length (packages/shared `generateStandardShortId`: 12 of [0-9a-z]). */
const USER_ID = /^[0-9a-z]{12}$/;
/** Logto's username rule (packages/toolkit/core-kit src/regex.ts `usernameRegEx`). */
export const USERNAME = /^[A-Z_a-z]\w*$/;

export function loadConfigFile(path: string | undefined, env: NodeJS.ProcessEnv = {}): DevIdpConfigFile {
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
    traditionalApps: arrayAt(raw, 'traditionalApps', path).map((entry, i) => parseTraditionalApp(entry, `${path}: traditionalApps[${i}]`, env)),
    users: uniqueUsers(arrayAt(raw, 'users', path).map((entry, i) => parseUser(entry, `${path}: users[${i}]`)), path),
    seedLogtoBootstrap: booleanAt(raw, 'seedLogtoBootstrap', path),
  };
}

/** Logto's application ID alphabet, relaxed for readable development IDs (letters, digits, `-`, `_`). */
const CLIENT_ID = /^[\w-]{1,64}$/;

function parseTraditionalApp(entry: unknown, where: string, env: NodeJS.ProcessEnv): TraditionalAppDefinition {
  const uris = (key: string): string[] | undefined => {
    const value = isRecord(entry) ? (entry[key] ?? []) : undefined;
    if (!isStringArray(value)) {
      return undefined;
    }
    const expanded = value.map((uri) => expandVariables(uri, env));
    return expanded.every((uri) => /^https?:\/\//.test(uri) && URL.canParse(uri)) ? expanded : undefined;
  };
  const redirectUris = uris('redirectUris');
  const postLogoutRedirectUris = uris('postLogoutRedirectUris');
  if (
    !isRecord(entry) ||
    typeof entry.clientId !== 'string' ||
    !CLIENT_ID.test(entry.clientId) ||
    typeof entry.clientSecret !== 'string' ||
    entry.clientSecret.length === 0 ||
    (entry.name !== undefined && typeof entry.name !== 'string') ||
    redirectUris === undefined ||
    postLogoutRedirectUris === undefined
  ) {
    throw new Error(`${where}: expected { clientId: ${CLIENT_ID.source}, clientSecret: non-empty, name?, redirectUris: http(s) URLs, postLogoutRedirectUris: http(s) URLs }`);
  }
  return { clientId: entry.clientId, clientSecret: entry.clientSecret, name: typeof entry.name === 'string' ? entry.name : entry.clientId, redirectUris, postLogoutRedirectUris };
}

/** `${NAME}` → the variable (empty when unset), `${NAME:-default}` → the variable or the default when unset or empty. */
function expandVariables(text: string, env: NodeJS.ProcessEnv): string {
  return text.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback: string | undefined) => {
    const value = env[name];
    return value === undefined || value === '' ? (fallback ?? '') : value;
  });
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

function booleanAt(raw: Record<string, unknown>, key: string, path: string): boolean {
  const value = raw[key] ?? false;
  if (typeof value !== 'boolean') {
    throw new Error(`${path}: "${key}" must be true or false`);
  }
  return value;
}

function arrayAt(raw: Record<string, unknown>, key: string, path: string): unknown[] {
  const value = raw[key] ?? [];
  if (!Array.isArray(value)) {
    throw new Error(`${path}: "${key}" must be an array`);
  }
  return value;
}
