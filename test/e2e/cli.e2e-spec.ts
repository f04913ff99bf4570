import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportJWK, generateKeyPair as generateJoseKeyPair, SignJWT } from 'jose';
import { Client } from 'pg';
import { generateKeyPair } from '@app/security';
import { checkoutReachableBy } from '../support/checkout-access';
import { createTestDatabase, itOnServer, type TestDatabase } from '../support/test-database';

/**
 * Every command-line tool of package.json, spawned as npm runs it: --help, refusals with the usage, exit codes, and
 * failures as one line without a stack (a permission error names the file and whom to run as).
 */
const ROOT = resolve(__dirname, '../..');
const SCRIPTS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

const CLIS = ['keys:generate', 'keys:jwks', 'license:verify', 'logto:bootstrap', 'dev:token', 'dev:idp', 'migration:run', 'migration:generate'] as const;
type CliName = (typeof CLIS)[number];

/** The node arguments of an npm script; migration:run runs from dist in package.json and from source here (no build). */
function nodeArgs(cli: CliName): string[] {
  const script = SCRIPTS[cli] ?? '';
  const words = script.split(' ');
  if (words[0] !== 'node') {
    throw new Error(`${cli} is not a node script: ${script}`);
  }
  const dist = words.findIndex((word) => word.startsWith('dist/'));
  if (dist >= 0) {
    return ['-r', './scripts/register-ts.js', (words[dist] ?? '').replace(/^dist\//, '').replace(/\.js$/, '.ts')];
  }
  return words.slice(1);
}

interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  env?: Record<string, string>;
  /** Run as this user (the tests may run as root, whom file modes do not stop). */
  as?: { uid: number; gid: number };
}

/** Environment variables that would change what a command reads: the tests give each its own. */
const CLEARED = ['KEYS_DIR', 'LICENSE_SIGNING_KID', 'DATABASE_URL', 'CAMELEER_DEV', 'NODE_ENV', 'DEV_IDP_PORT', 'DEV_IDP_DATA_DIR', 'DEV_IDP_CONFIG', 'DEV_IDP_ENDPOINT'];

function run(cli: CliName, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(CLEARED.map((name) => [name, ''])), ...options.env };
  return new Promise((done) => {
    execFile(
      process.execPath,
      [...nodeArgs(cli), ...args],
      { cwd: ROOT, env, timeout: 60_000, encoding: 'utf8', ...(options.as ?? {}) },
      (error, stdout, stderr) => {
        done({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1, stdout, stderr });
      },
    );
  });
}

const STACK_FRAME = /\n\s+at .+[(:]\d+/;

/** Whom to run a command as so that a mode-000 file stops it: ourselves, or `nobody` under root. */
function unprivilegedUser(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'nobody');
  if (entry === undefined) {
    throw new Error('the tests run as root and there is no "nobody" user to run a command that file modes stop');
  }
  return { uid: Number(entry[2]), gid: Number(entry[3]), name: 'nobody' };
}

function closedPort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address !== null ? address.port : 9));
    });
  });
}

describe('command-line tools', () => {
  let work: string;
  const stranger = unprivilegedUser();
  const runAs = stranger === undefined ? {} : { as: { uid: stranger.uid, gid: stranger.gid } };
  /** A folder others may enter (mkdtemp makes 0700), so only the mode-000 file itself stops the command. */
  const openFolder = (name: string): string => {
    const path = join(work, name);
    mkdirSync(path, { recursive: true, mode: 0o755 });
    chmodSync(path, 0o755);
    return path;
  };
  const unreadable = (name: string, content = '{}'): string => {
    const path = join(openFolder('locked'), name);
    writeFileSync(path, content);
    chmodSync(path, 0o000);
    return path;
  };
  const expectPermissionLine = (result: RunResult, cli: CliName, file: string): void => {
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${cli}: permission denied \\(EACCES\\) on `))]);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toContain(stranger === undefined ? `uid ${process.getuid?.() ?? ''}` : `${stranger.name} (uid ${stranger.uid})`);
    if (stranger !== undefined) {
      expect(result.stderr).toContain('run it as root (uid 0)');
    }
  };

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'cli-'));
    chmodSync(work, 0o755);
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('covers every command-line script of package.json', () => {
    for (const cli of CLIS) {
      expect(SCRIPTS[cli]).toBeDefined();
    }
  });

  describe.each(CLIS)('%s', (cli) => {
    it('prints its usage, flags and exit codes for --help and exits 0', async () => {
      const result = await run(cli, ['--help']);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      expect(result.stdout).toContain('usage: ');
      expect(result.stdout).toMatch(/exit codes:\n\s+0 {2}\S.*\n\s+1 {2}\S.*\n\s+2 {2}usage error/);
    });

    it('refuses an unknown flag with its usage, exit 2, no stack', async () => {
      const result = await run(cli, ['--no-such-flag']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`${cli}: Unknown option '--no-such-flag'`);
      expect(result.stderr).toContain('usage: ');
      expect(result.stderr).not.toMatch(STACK_FRAME);
      expect(result.stdout).toBe('');
    });
  });

  const badValues: ReadonlyArray<[CliName, string[], Record<string, string>, RegExp]> = [
    ['keys:generate', ['--purpose', 'nope'], {}, /--purpose must be one of license, machine, platform, session, got "nope"/],
    ['keys:jwks', ['--out'], {}, /'--out <value>' argument missing/],
    ['license:verify', ['token.txt', '--jwks', 'jwks.json', '--tolerance', '61'], {}, /--tolerance must be an integer from 0 to 60, got "61"/],
    ['logto:bootstrap', ['--dry-run=yes'], {}, /--dry-run' does not take an argument/],
    ['dev:token', ['--user', 'alice', '--expires-in', 'soon'], {}, /--expires-in must be a positive number of seconds, got "soon"/],
    ['dev:idp', ['--port', '70000'], {}, /--port must be an integer from 0 to 65535, got "70000"/],
    ['migration:generate', ['add-things'], {}, /<Name> must be PascalCase/],
  ];
  it.each(badValues)('%s refuses a bad value with its usage, exit 2, no stack', async (cli, args, env, message) => {
    const result = await run(cli, args, { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('usage: ');
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  const badEnvironments: ReadonlyArray<[CliName, Record<string, string>, RegExp]> = [
    ['logto:bootstrap', { LOGTO_ENDPOINT: 'ftp://logto', LOGTO_ADMIN_M2M_APP_ID: 'a', LOGTO_ADMIN_M2M_APP_SECRET: 's', LOGTO_API_RESOURCE: 'https://api' }, /not an http\(s\) URL/],
    ['migration:run', { DATABASE_URL: 'mysql://db/x' }, /DATABASE_URL: must start with postgres:\/\//],
    ['migration:generate', { DATABASE_URL: 'mysql://db/x' }, /DATABASE_URL: must start with postgres:\/\//],
  ];
  it.each(badEnvironments)('%s refuses a bad environment value in one message, exit 2, no stack', async (cli, env, message) => {
    const result = await run(cli, cli === 'migration:generate' ? ['AddThings'] : [], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('migration:run reports an unreachable database in one line, exit 1', async () => {
    const port = await closedPort();
    const result = await run('migration:run', [], { env: { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/x`, DB_BOOT_RETRY_SECONDS: '0' } });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`migration:run: PostgreSQL is unreachable after retrying for 0s: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  (stranger === undefined || checkoutReachableBy(stranger, 'the permission tests') ? describe : describe.skip)('a file the user may not read or write is one line naming it and whom to run as', () => {
    it('keys:generate (a key folder of mode 000)', async () => {
      const dir = openFolder('keys-generate');
      mkdirSync(join(dir, 'license'), { mode: 0o000 });
      chmodSync(join(dir, 'license'), 0o000);
      const result = await run('keys:generate', ['--purpose', 'license', '--dir', dir], runAs);
      expect(result.code).toBe(1);
      expectPermissionLine(result, 'keys:generate', join(dir, 'license'));
    });

    it('keys:jwks (a private key of mode 000)', async () => {
      const dir = openFolder('keys-jwks');
      const { privatePath } = generateKeyPair({ dir, purpose: 'license' });
      chmodSync(join(dir, 'license'), 0o755);
      chmodSync(privatePath, 0o000);
      const result = await run('keys:jwks', ['--dir', dir, '--out', '-'], runAs);
      expect(result.code).toBe(1);
      expectPermissionLine(result, 'keys:jwks', privatePath);
    });

    it('license:verify (a token file of mode 000: exit 1; a key file of mode 000: exit 3, the keys are unavailable)', async () => {
      const jwks = join(openFolder('license-verify'), 'jwks.json');
      const { publicKey } = await generateJoseKeyPair('EdDSA', { crv: 'Ed25519' });
      writeFileSync(jwks, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' }] }));
      const token = unreadable('token.txt', 'x.y.z');
      const tokenResult = await run('license:verify', [token, '--jwks', jwks], runAs);
      expect(tokenResult.code).toBe(1);
      expectPermissionLine(tokenResult, 'license:verify', token);

      const keys = unreadable('jwks.json');
      const keysResult = await run('license:verify', ['a.b.c', '--jwks', keys], runAs);
      expect(keysResult.code).toBe(3);
      expectPermissionLine(keysResult, 'license:verify', keys);
    });

    it('dev:token (a --config file of mode 000)', async () => {
      const config = unreadable('dev-token.json');
      const result = await run('dev:token', ['--user', 'alice', '--data-dir', openFolder('dev-token-data'), '--config', config], runAs);
      expect(result.code).toBe(1);
      expectPermissionLine(result, 'dev:token', config);
    });

    it('dev:idp (a data dir of mode 000, met after the port opened: it still exits)', async () => {
      const dataDir = join(openFolder('dev-idp'), 'data');
      mkdirSync(dataDir, { mode: 0o000 });
      chmodSync(dataDir, 0o000);
      const result = await run('dev:idp', ['--port', '0', '--data-dir', dataDir], runAs);
      expect(result.code).toBe(1);
      expectPermissionLine(result, 'dev:idp', dataDir);
    });

    it('migration:run (an embedded database folder of mode 000, development mode)', async () => {
      const dataDir = join(openFolder('migration-run'), 'pglite');
      mkdirSync(dataDir, { mode: 0o000 });
      chmodSync(dataDir, 0o000);
      const result = await run('migration:run', [], { ...runAs, env: { CAMELEER_DEV: '1', EMBEDDED_DB_DIR: dataDir } });
      expect(result.code).toBe(1);
      expectPermissionLine(result, 'migration:run', dataDir);
    });
  });

  describe('license:verify tells "could not fetch keys" from "invalid license"', () => {
    let token: string;

    beforeAll(async () => {
      const { privateKey } = await generateJoseKeyPair('EdDSA', { crv: 'Ed25519' });
      token = await new SignJWT({ sub: 'tenant' })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'license+jwt', kid: 'k1' })
        .setIssuer('https://cameleer.local')
        .setAudience('cameleer3-server')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    });

    it('exits 3 when the JWKS URL refuses the connection: nothing was decided about the license', async () => {
      const port = await closedPort();
      const result = await run('license:verify', [token, '--jwks', `http://127.0.0.1:${port}/.well-known/jwks.json`]);
      expect(result.code).toBe(3);
      expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^license:verify: could not fetch the keys from http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json: /)]);
      expect(result.stdout).toBe('');
    });

    it('exits 3 when the key file does not exist', async () => {
      const result = await run('license:verify', [token, '--jwks', join(work, 'no-such-jwks.json')]);
      expect(result.code).toBe(3);
      expect(result.stderr.trim()).toBe(`license:verify: no key file ${join(work, 'no-such-jwks.json')}`);
    });

    it('exits 1 for a license the keys do not verify', async () => {
      const dir = openFolder('other-keys');
      generateKeyPair({ dir, purpose: 'license' });
      const jwks = join(dir, 'jwks.json');
      expect((await run('keys:jwks', ['--dir', dir, '--out', jwks])).code).toBe(0);
      const result = await run('license:verify', [token, '--jwks', jwks]);
      expect(result.code).toBe(1);
      expect(result.stdout).toMatch(/^INVALID: license token rejected: unknown_key/);
      expect(result.stderr).toBe('');
    });
  });

  it('dev:token mints a token without any warning on stderr (no oidc-provider runtime warning)', async () => {
    const result = await run('dev:token', ['--user', 'alice', '--scope', 'tenant:read', '--data-dir', openFolder('dev-token-data')]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout.trim()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  describe('migration:generate against a migrated database', () => {
    let database: TestDatabase | undefined;

    afterAll(async () => {
      await database?.drop();
    });

    itOnServer('migration:generate needs a PostgreSQL server')('exits 3 and writes nothing when the entities and the database agree; prints the SQL of a difference with --dry-run', async () => {
      database = await createTestDatabase();
      const agree = await run('migration:generate', ['AddNothing'], { env: { DATABASE_URL: database.url } });
      expect(agree).toMatchObject({ code: 3, stdout: '' });
      expect(agree.stderr.trim()).toBe('no change: the entities and the database agree; nothing written');

      const client = new Client({ connectionString: database.url });
      await client.connect();
      try {
        await client.query('ALTER TABLE tenants ADD COLUMN stray integer');
      } finally {
        await client.end();
      }
      const differ = await run('migration:generate', ['DropStray', '--dry-run', '--timestamp', '1700000000000'], { env: { DATABASE_URL: database.url } });
      expect(differ).toMatchObject({ code: 0, stderr: '' });
      expect(differ.stdout).toContain('export class DropStray1700000000000 implements MigrationInterface');
      expect(differ.stdout).toContain('await queryRunner.query(`ALTER TABLE "tenants" DROP COLUMN "stray"`);');
      expect(differ.stdout).toContain('await queryRunner.query(`ALTER TABLE "tenants" ADD "stray" integer`);');
    });
  });
});
