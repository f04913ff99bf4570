/** Flags as `--name value` or `--name=value`; a flag may repeat (e.g. `--scope a --scope b`); a bare flag is "true". */
export type CliArgs = ReadonlyMap<string, readonly string[]>;

export function parseCliArgs(argv: readonly string[]): CliArgs {
  const args = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--')) {
      throw new Error(`Unexpected argument "${arg}"; flags look like --name value`);
    }
    const eq = arg.indexOf('=');
    let name: string;
    let value: string;
    if (eq > 0) {
      name = arg.slice(2, eq);
      value = arg.slice(eq + 1);
    } else {
      name = arg.slice(2);
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        value = 'true';
      } else {
        value = next;
        i += 1;
      }
    }
    args.set(name, [...(args.get(name) ?? []), value]);
  }
  return args;
}

export const lastValue = (args: CliArgs, name: string): string | undefined => args.get(name)?.at(-1);

export const allValues = (args: CliArgs, name: string): readonly string[] => args.get(name) ?? [];
