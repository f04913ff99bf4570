import { AsyncLocalStorage } from 'node:async_hooks';
import { registerAs } from '@nestjs/config';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, ValidationError } from 'class-validator';

type EnvClass<E extends object> = new () => E;

/**
 * One configuration namespace: the environment variables it reads (a class-validator class),
 * which of them are secrets, and how they map to the typed config the rest of the code sees.
 */
export interface ConfigSchema<E extends object, C> {
  readonly namespace: string;
  readonly env: EnvClass<E>;
  readonly secrets?: readonly (keyof E & string)[];
  readonly map: (env: E, context: ConfigContext) => C;
}

/** Facts every namespace may depend on, computed once from the environment. */
export interface ConfigContext {
  readonly production: boolean;
  readonly development: boolean;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/** An empty variable counts as unset: operators blank a line in an env file to fall back to the default. */
export function normalizeEnv(source: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (value !== undefined && value.trim() !== '') {
      env[key] = value;
    }
  }
  return env;
}

export function configContext(source: NodeJS.ProcessEnv): ConfigContext {
  const env = normalizeEnv(source);
  const production = env.NODE_ENV === 'production';
  // Development is opt-in by an explicit flag that `npm start` sets; a process that merely forgot
  // NODE_ENV is treated as production-like and never gets embedded defaults.
  const development = !production && (env.CAMELEER_DEV === '1' || env.CAMELEER_DEV === 'true');
  return { production, development };
}

function describe(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = prefix + error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => `${path}: ${message}`);
    return [...own, ...describe(error.children ?? [], `${path}.`)];
  });
}

function parse<E extends object, C>(schema: ConfigSchema<E, C>, source: NodeJS.ProcessEnv): { config?: C; problems: string[] } {
  const env = plainToInstance(schema.env, normalizeEnv(source), { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) {
    return { problems: describe(errors) };
  }
  try {
    return { config: schema.map(env, configContext(source)), problems: [] };
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      return { problems: [...error.problems] };
    }
    throw error;
  }
}

const scopedEnv = new AsyncLocalStorage<NodeJS.ProcessEnv>();

/**
 * Runs `build` (creating an app or a testing module) with `env` as the environment every config namespace reads,
 * instead of process.env. The env belongs to that one build, so a test can boot apps side by side, each on its own
 * configuration, without touching the process's environment.
 */
export function withConfigEnv<T>(env: NodeJS.ProcessEnv, build: () => T): T {
  return scopedEnv.run(env, build);
}

/** The environment config is read from: the one given to withConfigEnv, else the process's. */
export function configEnv(): NodeJS.ProcessEnv {
  return scopedEnv.getStore() ?? process.env;
}

/** Validates one namespace; throws a ConfigValidationError listing every bad key. */
export function loadConfig<E extends object, C>(schema: ConfigSchema<E, C>, source: NodeJS.ProcessEnv = configEnv()): C {
  const { config, problems } = parse(schema, source);
  if (problems.length > 0 || config === undefined) {
    throw new ConfigValidationError(problems);
  }
  return config;
}

/**
 * Validates every namespace before the app is created, so a misconfigured process stops
 * before it listens, with one message that lists every bad key of every namespace.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a list of schemas over different env classes
export type AnyConfigSchema = ConfigSchema<any, unknown>;

export function assertConfigValid(schemas: readonly AnyConfigSchema[], source: NodeJS.ProcessEnv = configEnv()): void {
  const problems = schemas.flatMap((schema) => parse(schema, source).problems);
  if (problems.length > 0) {
    throw new ConfigValidationError(problems);
  }
}

/** The @nestjs/config factory for a namespace, injectable with `@Inject(x.KEY)`. */
export function registerConfig<E extends object, C extends object>(schema: ConfigSchema<E, C>) {
  return registerAs(schema.namespace, (): C & Record<string, unknown> => loadConfig(schema) as C & Record<string, unknown>);
}

/** The variables a namespace reads, with secrets masked: safe to print. */
export function describeConfig<E extends object, C>(schema: ConfigSchema<E, C>, source: NodeJS.ProcessEnv = configEnv()): Record<string, string> {
  const env = normalizeEnv(source);
  const instance = new schema.env() as Record<string, unknown>;
  const keys = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(schema.env, '', true, false)
      .map((metadata) => metadata.propertyName),
  );
  const secrets = new Set<string>(schema.secrets ?? []);
  const out: Record<string, string> = {};
  for (const key of [...keys].sort()) {
    const fallback = instance[key];
    const value = env[key] ?? (typeof fallback === 'string' || typeof fallback === 'number' || typeof fallback === 'boolean' ? String(fallback) : undefined);
    if (value === undefined) {
      continue;
    }
    out[key] = secrets.has(key) ? maskSecret(value) : value;
  }
  return out;
}

export function maskSecret(value: string): string {
  return value.length === 0 ? '' : '********';
}

/** Masks the password of a connection URL so it can be printed. */
export function maskUrlCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) {
      parsed.password = '********';
    }
    return parsed.toString();
  } catch {
    return '<unparseable url>';
  }
}
