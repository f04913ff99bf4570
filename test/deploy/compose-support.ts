/**
 * Helpers for the deploy specs: read docker-compose.prod.yml the way Compose would (interpolation with the
 * example env values) and a small evaluator for the Traefik v3 rule language used in the labels.
 */
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from 'yaml';

export const repoRoot = join(__dirname, '..', '..');

export type Environment = Record<string, string>;

/** Parses a KEY=VALUE env file (comments and blank lines skipped, no quoting rules needed for ours). */
export function readEnvFile(path: string): Environment {
  const env: Environment = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      continue;
    }
    const eq = trimmed.indexOf('=');
    if (eq <= 0) {
      throw new Error(`Not a KEY=VALUE line in ${path}: ${line}`);
    }
    env[trimmed.slice(0, eq)] = trimmed.slice(eq + 1);
  }
  return env;
}

/**
 * Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR?err}, ${VAR:?err}, $VAR and $$.
 * A required variable that is missing throws, as Compose does.
 */
export function interpolate(value: string, env: Environment): string {
  return value.replace(
    /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (match: string, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (match === '$$') {
        return '$';
      }
      const name = braced ?? bare;
      if (name === undefined) {
        return match;
      }
      const current = env[name];
      const unsetOrEmpty = current === undefined || current === '';
      switch (op) {
        case ':-':
          return unsetOrEmpty ? (arg ?? '') : current;
        case '-':
          return current === undefined ? (arg ?? '') : current;
        case ':?':
        case '?':
          if (op === ':?' ? unsetOrEmpty : current === undefined) {
            throw new Error(`Required variable ${name}: ${arg ?? ''}`);
          }
          return current as string;
        default:
          return current ?? '';
      }
    },
  );
}

/** Deeply interpolates every string of a parsed YAML value. */
function interpolateDeep<T>(value: T, env: Environment): T {
  if (typeof value === 'string') {
    return interpolate(value, env) as T;
  }
  if (Array.isArray(value)) {
    return value.map((item: unknown) => interpolateDeep(item, env)) as T;
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, interpolateDeep(v, env)]),
    ) as T;
  }
  return value;
}

export interface ComposeService {
  image?: string;
  build?: unknown;
  profiles?: string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | string[];
  volumes?: (string | { source?: string; target?: string; read_only?: boolean; type?: string })[];
  ports?: unknown[];
  expose?: unknown[];
  networks?: string[] | Record<string, unknown>;
  network_mode?: string;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  labels?: Record<string, string> | string[];
  restart?: string;
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
  user?: string;
  entrypoint?: string | string[];
  command?: string | string[];
  ulimits?: Record<string, unknown>;
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  networks?: Record<string, { internal?: boolean; name?: string } | null>;
  volumes?: Record<string, unknown>;
}

const composePath = join(repoRoot, 'docker-compose.prod.yml');
export const envDir = join(repoRoot, 'deploy', 'env');

export function loadRawCompose(): ComposeFile {
  return parse(readFileSync(composePath, 'utf8')) as ComposeFile;
}

/** The example interpolation values (deploy/env/stack.env.example). */
export function exampleStackEnv(): Environment {
  return readEnvFile(join(envDir, 'stack.env.example'));
}

export function loadCompose(env: Environment = exampleStackEnv()): ComposeFile {
  return interpolateDeep(loadRawCompose(), env);
}

export function labelsOf(service: ComposeService): Record<string, string> {
  const { labels } = service;
  if (labels === undefined) {
    return {};
  }
  if (Array.isArray(labels)) {
    return Object.fromEntries(
      labels.map((entry) => {
        const eq = entry.indexOf('=');
        return eq < 0 ? [entry, ''] : [entry.slice(0, eq), entry.slice(eq + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
}

export function networksOf(service: ComposeService): string[] {
  const { networks } = service;
  if (networks === undefined) {
    return [];
  }
  return Array.isArray(networks) ? networks : Object.keys(networks);
}

export function dependsOnOf(service: ComposeService): Record<string, string | undefined> {
  const deps = service.depends_on;
  if (deps === undefined) {
    return {};
  }
  if (Array.isArray(deps)) {
    return Object.fromEntries(deps.map((name) => [name, undefined]));
  }
  return Object.fromEntries(Object.entries(deps).map(([name, spec]) => [name, spec.condition]));
}

export function isToolsService(service: ComposeService): boolean {
  return (service.profiles ?? []).includes('tools');
}

// ---------------------------------------------------------------------------------------------------------
// Traefik v3 rule evaluator: matchers Host, HostRegexp, Path, PathPrefix, PathRegexp; operators !, &&, ||, ().
// Enough to ask "would this router take request (host, path)?" for the rules in our labels.

export interface RuleRequest {
  host: string;
  path: string;
}

type Token =
  | { kind: 'and' | 'or' | 'not' | 'lparen' | 'rparen' | 'comma' }
  | { kind: 'ident'; value: string }
  | { kind: 'string'; value: string };

function tokenize(rule: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < rule.length) {
    const ch = rule[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
    } else if (rule.startsWith('&&', i)) {
      tokens.push({ kind: 'and' });
      i += 2;
    } else if (rule.startsWith('||', i)) {
      tokens.push({ kind: 'or' });
      i += 2;
    } else if (ch === '!') {
      tokens.push({ kind: 'not' });
      i += 1;
    } else if (ch === '(') {
      tokens.push({ kind: 'lparen' });
      i += 1;
    } else if (ch === ')') {
      tokens.push({ kind: 'rparen' });
      i += 1;
    } else if (ch === ',') {
      tokens.push({ kind: 'comma' });
      i += 1;
    } else if (ch === '`' || ch === '"') {
      const end = rule.indexOf(ch, i + 1);
      if (end < 0) {
        throw new Error(`Unterminated string in rule: ${rule}`);
      }
      tokens.push({ kind: 'string', value: rule.slice(i + 1, end) });
      i = end + 1;
    } else {
      const ident = /^[A-Za-z]+/.exec(rule.slice(i));
      if (!ident) {
        throw new Error(`Unexpected "${ch}" in rule: ${rule}`);
      }
      tokens.push({ kind: 'ident', value: ident[0] });
      i += ident[0].length;
    }
  }
  return tokens;
}

type Matcher = (req: RuleRequest) => boolean;

function matcherFor(name: string, args: string[]): Matcher {
  const [arg] = args;
  if (arg === undefined || args.length !== 1) {
    throw new Error(`${name} takes exactly one argument in Traefik v3`);
  }
  switch (name) {
    case 'Host':
      return (req) => req.host.toLowerCase() === arg.toLowerCase();
    case 'HostRegexp': {
      // Go RE2 and JS agree on the subset we use; (?i) is not used in host rules.
      const re = new RegExp(arg);
      return (req) => re.test(req.host.toLowerCase());
    }
    case 'Path':
      return (req) => req.path === arg;
    case 'PathPrefix':
      return (req) => req.path.startsWith(arg);
    case 'PathRegexp': {
      // Go's leading (?i) flag is JS's "i" flag; the rest of the patterns we use is the same in RE2 and JS.
      const re = arg.startsWith('(?i)') ? new RegExp(arg.slice(4), 'i') : new RegExp(arg);
      return (req) => re.test(req.path);
    }
    default:
      throw new Error(`Matcher ${name} not supported by this evaluator`);
  }
}

/** Compiles a Traefik v3 rule into a predicate. Precedence: ! over && over ||. */
export function compileRule(rule: string): Matcher {
  const tokens = tokenize(rule);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const expect = (kind: Token['kind']): Token => {
    const token = tokens[pos];
    if (token?.kind !== kind) {
      throw new Error(`Expected ${kind} at token ${pos} in rule: ${rule}`);
    }
    pos += 1;
    return token;
  };

  const parseOr = (): Matcher => {
    let left = parseAnd();
    while (peek()?.kind === 'or') {
      pos += 1;
      const l = left;
      const r = parseAnd();
      left = (req) => l(req) || r(req);
    }
    return left;
  };
  const parseAnd = (): Matcher => {
    let left = parseUnary();
    while (peek()?.kind === 'and') {
      pos += 1;
      const l = left;
      const r = parseUnary();
      left = (req) => l(req) && r(req);
    }
    return left;
  };
  const parseUnary = (): Matcher => {
    const token = peek();
    if (token?.kind === 'not') {
      pos += 1;
      const inner = parseUnary();
      return (req) => !inner(req);
    }
    if (token?.kind === 'lparen') {
      pos += 1;
      const inner = parseOr();
      expect('rparen');
      return inner;
    }
    const ident = expect('ident') as { kind: 'ident'; value: string };
    expect('lparen');
    const args: string[] = [];
    while (peek()?.kind !== 'rparen') {
      const arg = expect('string') as { kind: 'string'; value: string };
      args.push(arg.value);
      if (peek()?.kind === 'comma') {
        pos += 1;
      }
    }
    expect('rparen');
    return matcherFor(ident.value, args);
  };

  const matcher = parseOr();
  if (pos !== tokens.length) {
    throw new Error(`Trailing tokens in rule: ${rule}`);
  }
  return matcher;
}

// ---------------------------------------------------------------------------------------------------------
// Traefik v3 (>= 3.4.1) request paths, from pkg/server/server_entrypoint_tcp.go (normalizePath, sanitizePath) and
// pkg/muxer/http/mux.go (withRoutingPath). A rule must be asked about traefikRoutingPath(path), never the raw path.

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
// RFC 3986 reserved characters plus "%": decoding them would change the path's meaning, so routing keeps them encoded.
const RESERVED_ESCAPES = new Set(['%3A', '%2F', '%3F', '%23', '%5B', '%5D', '%40', '%21', '%24', '%26', '%27', '%28', '%29', '%2A', '%2B', '%2C', '%3B', '%3D', '%25']);

/**
 * The path Traefik forwards to a service (sanitizePath on, the default): every escape upper-cased and those of
 * unreserved characters decoded (normalizePath), then dot segments and duplicate slashes removed (URL.JoinPath,
 * which keeps a trailing slash).
 */
export function traefikForwardedPath(rawPath: string): string {
  const normalized = rawPath.replace(/%[0-9A-Fa-f]{2}/g, (escape) => {
    const upper = escape.toUpperCase();
    const char = String.fromCharCode(Number.parseInt(upper.slice(1), 16));
    return UNRESERVED.test(char) ? char : upper;
  });
  return posix.normalize(normalized);
}

/** The path Traefik's Path/PathPrefix/PathRegexp see: the forwarded path with every escape decoded but reserved ones. */
export function traefikRoutingPath(rawPath: string): string {
  return traefikForwardedPath(rawPath).replace(/%[0-9A-F]{2}/g, (escape) =>
    RESERVED_ESCAPES.has(escape) ? escape : String.fromCharCode(Number.parseInt(escape.slice(1), 16)),
  );
}

export interface PublicRouter {
  service: string;
  router: string;
  rule: string;
  matches: Matcher;
}

/** Every HTTP router declared in the labels of a Traefik-enabled service. */
export function publicRouters(compose: ComposeFile): PublicRouter[] {
  const routers: PublicRouter[] = [];
  for (const [serviceName, service] of Object.entries(compose.services)) {
    const labels = labelsOf(service);
    for (const [key, value] of Object.entries(labels)) {
      const m = /^traefik\.http\.routers\.([^.]+)\.rule$/i.exec(key);
      if (m?.[1] !== undefined) {
        routers.push({ service: serviceName, router: m[1], rule: value, matches: compileRule(value) });
      }
    }
  }
  return routers;
}
