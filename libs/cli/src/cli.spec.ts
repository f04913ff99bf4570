import { CliFailure, type CliDefinition, describeFailure, EXIT_USAGE, helpText, integerValue, parseCliArgs, UsageError } from './cli';

const definition: CliDefinition<{ dir: { type: 'string' }; force: { type: 'boolean' } }> = {
  name: 'demo:run',
  summary: 'Does a demo.',
  usage: 'npm run demo:run -- <file> [--dir <dir>] [--force]',
  options: { dir: { type: 'string' }, force: { type: 'boolean' } },
  positionals: { min: 1, max: 1, label: '<file>' },
  exitCodes: { 3: 'the demo was refused' },
  expected: [RangeError],
};

describe('the command-line helper', () => {
  it('lists the common exit codes and the command’s own in --help', () => {
    expect(helpText(definition)).toBe(
      [
        'Does a demo.',
        '',
        'usage: npm run demo:run -- <file> [--dir <dir>] [--force]',
        '',
        'exit codes:',
        '   0  success',
        '   1  failed (the message says why; a file it may not read or write names the user to run as)',
        '   2  usage error: unknown flag, bad value or missing argument (the usage follows)',
        '   3  the demo was refused',
        '',
      ].join('\n'),
    );
  });

  it('parses strictly: unknown flags, missing values and wrong argument counts are usage errors', () => {
    expect(parseCliArgs(definition, ['a.txt', '--dir', 'd', '--force'])).toMatchObject({ values: { dir: 'd', force: true }, positionals: ['a.txt'] });
    expect(parseCliArgs(definition, ['-h'])).toBe('help');
    expect(() => parseCliArgs(definition, ['a.txt', '--nope'])).toThrow(new UsageError("Unknown option '--nope'"));
    expect(() => parseCliArgs(definition, ['a.txt', '--dir'])).toThrow(UsageError);
    expect(() => parseCliArgs(definition, ['a.txt', '--force=yes'])).toThrow(UsageError);
    expect(() => parseCliArgs(definition, [])).toThrow(new UsageError('missing <file>'));
    expect(() => parseCliArgs(definition, ['a', 'b'])).toThrow(new UsageError('unexpected argument "b"'));
  });

  it.each(['', '1.5', '0x10', '1e3', ' 7', '-1', '65536'])('refuses the integer value "%s" outside 0..65535', (text) => {
    expect(() => integerValue('port', text, { min: 0, max: 65535 })).toThrow(new UsageError(`--port must be an integer from 0 to 65535, got "${text}"`));
  });

  it('accepts integers within bounds', () => {
    expect(integerValue('port', '0', { min: 0, max: 65535 })).toBe(0);
    expect(integerValue('port', '65535', { min: 0, max: 65535 })).toBe(65535);
  });

  it('reports a usage error with the usage, exit 2', () => {
    expect(describeFailure(definition, new UsageError('missing <file>'))).toEqual({
      exitCode: EXIT_USAGE,
      message: 'demo:run: missing <file>\nusage: npm run demo:run -- <file> [--dir <dir>] [--force]\n(--help lists the flags and exit codes)',
    });
  });

  it('reports expected failures as their message alone, with their exit code', () => {
    expect(describeFailure(definition, new CliFailure('refused', 3))).toEqual({ exitCode: 3, message: 'demo:run: refused' });
    expect(describeFailure(definition, new RangeError('too far'))).toEqual({ exitCode: 1, message: 'demo:run: too far' });
  });

  it('finds a permission error behind an error’s causes and names the file', () => {
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES', path: '/no/such/dir/key.pem' });
    const { exitCode, message } = describeFailure(definition, new CliFailure('cannot read the key', 3, { cause: new Error('wrapped', { cause: denied }) }));
    expect(exitCode).toBe(3);
    expect(message).toMatch(/^demo:run: permission denied \(EACCES\) on \/no\/such\/dir\/key\.pem for .+; /);
    expect(message).not.toContain('\n');
  });

  it('prints the stack of an unexpected error: that is a bug', () => {
    const bug = new TypeError('x is undefined');
    const { exitCode, message } = describeFailure(definition, bug);
    expect(exitCode).toBe(1);
    expect(message).toContain('demo:run: unexpected error (a bug: please report it)');
    expect(message).toContain(bug.stack);
  });
});
