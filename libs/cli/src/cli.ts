import { readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Exit codes every command shares; a command documents its own from 3 up. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface CliDefinition<O extends OptionsConfig> {
  /** The npm script (`keys:generate`): the prefix of every error line. */
  readonly name: string;
  /** One line: what the command does. */
  readonly summary: string;
  /** The synopsis, after `usage: ` (several lines allowed). */
  readonly usage: string;
  /** What each flag means, printed by --help. */
  readonly details?: string;
  /** The flags (`--help`/`-h` is added); anything else is refused. */
  readonly options: O;
  /** How many positional arguments the command takes (default none), and what the usage calls them. */
  readonly positionals?: { readonly min: number; readonly max: number; readonly label: string };
  /** Exit codes beyond 0, 1 and 2 (or the command's own wording of those), with their meaning. */
  readonly exitCodes?: Readonly<Record<number, string>>;
  /** Errors that are expected failures: reported as their message alone, exit 1. */
  readonly expected?: ReadonlyArray<abstract new (...args: never[]) => Error>;
}

export type ParsedArgs<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/** A bad flag value or a missing argument: reported with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** An expected failure: its message alone (no stack) and the given exit code. */
export class CliFailure extends Error {
  override readonly name = 'CliFailure';

  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILED,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const COMMON_EXIT_CODES: Readonly<Record<number, string>> = {
  [EXIT_OK]: 'success',
  [EXIT_FAILED]: 'failed (the message says why; a file it may not read or write names the user to run as)',
  [EXIT_USAGE]: 'usage error: unknown flag, bad value or missing argument (the usage follows)',
};

/** The --help text: summary, usage, flags and every exit code. */
export function helpText<O extends OptionsConfig>(definition: CliDefinition<O>): string {
  const codes = { ...COMMON_EXIT_CODES, ...definition.exitCodes };
  const exitLines = Object.entries(codes).map(([code, meaning]) => `  ${code.padStart(2)}  ${meaning}`);
  return [
    definition.summary,
    '',
    `usage: ${definition.usage}`,
    ...(definition.details === undefined ? [] : ['', definition.details.replace(/\n+$/, '')]),
    '',
    'exit codes:',
    ...exitLines,
    '',
  ].join('\n');
}

/** Parses strictly: unknown flags, a missing flag value and too many or too few positionals throw UsageError. */
export function parseCliArgs<O extends OptionsConfig>(definition: CliDefinition<O>, argv: readonly string[]): ParsedArgs<O> | 'help' {
  let parsed: ParsedArgs<O>;
  const options: O = { ...definition.options, help: { type: 'boolean', short: 'h' } };
  try {
    parsed = parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    // Duck-typed: under Jest node's errors come from another realm. Node adds a hint on `--` to its unknown-option
    // message; the usage line says more.
    const message = String((error as { message?: unknown }).message ?? error);
    throw new UsageError(message.split('. To specify a positional')[0]);
  }
  if ((parsed.values as { help?: boolean }).help === true) {
    return 'help';
  }
  const { min, max, label } = definition.positionals ?? { min: 0, max: 0, label: '' };
  if (parsed.positionals.length > max) {
    throw new UsageError(`unexpected argument "${parsed.positionals[max] ?? ''}"`);
  }
  if (parsed.positionals.length < min) {
    throw new UsageError(`missing ${label}`);
  }
  return parsed;
}

/** A flag's value as an integer within bounds, or a UsageError naming the flag. */
export function integerValue(flag: string, text: string, bounds: { min: number; max: number }): number {
  const value = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < bounds.min || value > bounds.max) {
    throw new UsageError(`--${flag} must be an integer from ${bounds.min} to ${bounds.max}, got "${text}"`);
  }
  return value;
}

interface FileSystemError {
  code: string;
  path: string;
}

/** The node:fs permission error in an error or its causes (duck-typed: errors may come from another realm). */
function permissionErrorIn(error: unknown): FileSystemError | undefined {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    const { code, path } = current as { code?: unknown; path?: unknown };
    if ((code === 'EACCES' || code === 'EPERM') && typeof path === 'string') {
      return { code, path };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function userName(uid: number): string {
  try {
    const entry = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[2] === String(uid));
    return entry?.[0] ? `${entry[0]} (uid ${uid})` : `uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
}

/** Who owns the file, or its nearest ancestor this user may examine (the one that keeps it out). */
function ownerOf(path: string): { uid: number; path: string } | undefined {
  for (let current = path; ; current = dirname(current)) {
    try {
      return { uid: statSync(current).uid, path: current };
    } catch {
      if (dirname(current) === current) {
        return undefined;
      }
    }
  }
}

/** One line: which file, which operation was refused, who this is and whom to run as. */
function permissionMessage(error: { code: string; path: string }): string {
  const uid = process.getuid?.();
  const me = uid === undefined ? 'this user' : userName(uid);
  const owner = ownerOf(error.path);
  const fix =
    owner === undefined || owner.uid === uid
      ? `fix its mode or run it as a user who may access it`
      : `run it as ${userName(owner.uid)}, who owns ${owner.path}, or give this user access`;
  return `permission denied (${error.code}) on ${error.path} for ${me}; ${fix}`;
}

/** Turns a failure into its exit code and the one message to print. */
export function describeFailure<O extends OptionsConfig>(definition: CliDefinition<O>, error: unknown): { exitCode: number; message: string } {
  const prefix = `${definition.name}: `;
  if (error instanceof UsageError) {
    return { exitCode: EXIT_USAGE, message: `${prefix}${error.message}\nusage: ${definition.usage}\n(--help lists the flags and exit codes)` };
  }
  const permission = permissionErrorIn(error);
  if (permission !== undefined) {
    return { exitCode: error instanceof CliFailure ? error.exitCode : EXIT_FAILED, message: `${prefix}${permissionMessage(permission)}` };
  }
  if (error instanceof CliFailure) {
    return { exitCode: error.exitCode, message: `${prefix}${error.message}` };
  }
  if (error instanceof Error && (definition.expected ?? []).some((type) => error instanceof type)) {
    return { exitCode: EXIT_FAILED, message: `${prefix}${error.message}` };
  }
  // Not an expected failure: a bug, so the stack is what helps.
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { exitCode: EXIT_FAILED, message: `${prefix}unexpected error (a bug: please report it)\n${detail}` };
}

/**
 * Runs a command: parses argv strictly, answers --help (stdout, exit 0), runs `main` and sets the exit code it
 * returns; every failure is one message on stderr (see describeFailure). `main` returning nothing leaves the process
 * running (a server).
 */
export function runCli<O extends OptionsConfig>(
  definition: CliDefinition<O>,
  main: (args: ParsedArgs<O>) => number | void | Promise<number | void>,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  const report = (error: unknown): void => {
    const { exitCode, message } = describeFailure(definition, error);
    process.stderr.write(`${message}\n`);
    process.exitCode = exitCode;
  };
  let parsed: ParsedArgs<O> | 'help';
  try {
    parsed = parseCliArgs(definition, argv);
  } catch (error) {
    report(error);
    return Promise.resolve();
  }
  if (parsed === 'help') {
    process.stdout.write(helpText(definition));
    process.exitCode = EXIT_OK;
    return Promise.resolve();
  }
  const args = parsed;
  return (async () => main(args))().then((code) => {
    if (typeof code === 'number') {
      process.exitCode = code;
    }
  }, report);
}
