/**
 * A throwaway PostgreSQL cluster that is initialised the way the postgres image's docker-entrypoint.sh does it
 * (docker-library/postgres 17/bookworm): initdb, then `host all all all <password_encryption>` appended to
 * pg_hba.conf, then a socket-only server that runs every file of /docker-entrypoint-initdb.d in order as the
 * cluster's owner, then a restart that listens on TCP. Debian's server binaries are used
 * (/usr/lib/postgresql/<major>/bin); PostgreSQL refuses to run as root, so under root the cluster belongs to the
 * `postgres` system user that Debian's server package creates.
 */
import { type SpawnSyncOptions, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The newest Debian PostgreSQL server binaries; `initdb` alone (not on PATH, hence "not installed") when none exist. */
export function debianPostgresBin(tool: 'initdb' | 'pg_ctl'): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'initdb'))) : [];
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? tool : join(root, newest, 'bin', tool);
}

interface ClusterOwner {
  uid: number;
  gid: number;
}

/** Who runs the server: the current user, or `postgres` when the tests run as root (initdb refuses root). */
function clusterOwner(): ClusterOwner | undefined {
  if (process.getuid?.() !== 0) {
    return undefined;
  }
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'postgres');
  if (entry === undefined) {
    throw new Error('the tests run as root and there is no "postgres" user to own a throwaway cluster (initdb refuses root)');
  }
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') {
    throw new Error('no free port');
  }
  return address.port;
}

export interface InitScriptRun {
  file: string;
  stdout: string;
}

export class ThrowawayPostgres {
  readonly port: number;
  private readonly dir: string;
  private readonly dataDir: string;
  private readonly owner: ClusterOwner | undefined;
  private running = false;

  private constructor(port: number) {
    this.port = port;
    this.owner = clusterOwner();
    this.dir = mkdtempSync(join(tmpdir(), 'pginit-'));
    this.dataDir = join(this.dir, 'data');
    if (this.owner !== undefined) {
      chownSync(this.dir, this.owner.uid, this.owner.gid);
    }
  }

  /**
   * initdb and the image's pg_hba.conf line. Loopback TCP asks for a password (`--auth-host`), so connections from
   * the tests authenticate like the other containers do over the backend network.
   */
  static async create(): Promise<ThrowawayPostgres> {
    const cluster = new ThrowawayPostgres(await freeLoopbackPort());
    try {
      const superuserPassword = join(cluster.dir, 'superuser-password');
      writeFileSync(superuserPassword, 'unused-superuser-password\n', { mode: 0o600 });
      if (cluster.owner !== undefined) {
        chownSync(superuserPassword, cluster.owner.uid, cluster.owner.gid);
      }
      cluster.asOwner(debianPostgresBin('initdb'), [
        '--pgdata', cluster.dataDir, '--username', 'postgres', `--pwfile=${superuserPassword}`,
        '--auth-local=trust', '--auth-host=scram-sha-256', '--encoding=UTF8', '--no-locale', '--no-sync',
      ]);
      const hba = join(cluster.dataDir, 'pg_hba.conf');
      writeFileSync(hba, `${readFileSync(hba, 'utf8')}\nhost all all all scram-sha-256\n`);
      return cluster;
    } catch (error) {
      cluster.destroy();
      throw error;
    }
  }

  /**
   * Runs the init files like docker_process_init_files, in name order; only `*.sh` so far (any other kind fails
   * until the harness learns how the image treats it). They run from a copy that the cluster's owner can read, as
   * the image's mount is, wherever the checkout is.
   */
  runInitScripts(sourceDir: string, env: Record<string, string>): InitScriptRun[] {
    const initDir = join(this.dir, 'docker-entrypoint-initdb.d');
    cpSync(sourceDir, initDir, { recursive: true });
    if (this.owner !== undefined) {
      for (const name of ['', ...readdirSync(initDir)]) {
        chownSync(join(initDir, name), this.owner.uid, this.owner.gid);
      }
    }
    this.start(`listen_addresses=''`);
    try {
      const scriptEnv = { ...this.clientEnv(), POSTGRES_USER: 'postgres', PGDATA: this.dataDir, ...env };
      return readdirSync(initDir).sort().map((name) => {
        const file = join(initDir, name);
        if (name.endsWith('.sh')) {
          // The image executes an executable .sh (and sources any other): ours are executable.
          return { file: name, stdout: this.asOwner(file, [], { env: scriptEnv }).stdout };
        }
        throw new Error(`the harness runs only .sh init files, not ${name}`);
      });
    } finally {
      this.stop();
    }
  }

  /** The server as it runs after the entrypoint: on TCP (here loopback only). */
  listen(): void {
    this.start(`listen_addresses='127.0.0.1'`);
  }

  /** node-postgres settings for the superuser, over the Unix socket (trusted, as inside the container). */
  superuser(): { host: string; port: number; user: string; database: string } {
    return { host: this.dir, port: this.port, user: 'postgres', database: 'postgres' };
  }

  destroy(): void {
    try {
      this.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private start(listenAddresses: string): void {
    const options = `-c ${listenAddresses} -p ${this.port} -k ${this.dir} -c fsync=off`;
    this.asOwner(debianPostgresBin('pg_ctl'), ['--pgdata', this.dataDir, '--log', join(this.dir, 'server.log'), '--options', options, '--wait', 'start']);
    this.running = true;
  }

  private stop(): void {
    if (this.running) {
      this.running = false;
      this.asOwner(debianPostgresBin('pg_ctl'), ['--pgdata', this.dataDir, '--mode', 'fast', '--wait', 'stop']);
    }
  }

  /** libpq's environment for the socket-only server, as the image's default socket directory would give it. */
  private clientEnv(): Record<string, string> {
    return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: this.dir, PGHOST: this.dir, PGPORT: String(this.port) };
  }

  private asOwner(command: string, args: string[], options: SpawnSyncOptions = {}): SpawnSyncReturns<string> {
    const run = spawnSync(command, args, { env: this.clientEnv(), ...options, ...this.owner, cwd: this.dir, encoding: 'utf8' });
    if (run.error !== undefined || run.status !== 0) {
      const log = existsSync(join(this.dir, 'server.log')) ? readFileSync(join(this.dir, 'server.log'), 'utf8').slice(-2000) : '';
      throw new Error(`${command} ${args.join(' ')} failed (${run.error?.message ?? `exit ${run.status}`}):\n${run.stdout}${run.stderr}\n${log}`);
    }
    return run;
  }
}
