/**
 * deploy/postgres/initdb on a throwaway PostgreSQL cluster, initialised like the postgres image does it. Then Logto's
 * seed creates its roles (after the init, the order of a real deployment), and every role tries every database:
 * Logto's roles must reach the logto database (without CONNECT every Logto request is a 500), and no role may reach
 * a database that is not its own.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { itWithTool } from '../support/requires-tool';
import { repoRoot } from './compose-support';
import { type InitScriptRun, ThrowawayPostgres, debianPostgresBin } from './throwaway-postgres';

const itWithPostgres = itWithTool(debianPostgresBin('initdb'), ['--version'], 'runs deploy/postgres/initdb on a throwaway cluster');

/** A quote in each password proves the script hands them to psql as values, not as SQL text. */
const password = (): string => `pw'${randomBytes(12).toString('hex')}`;
const passwords = {
  cameleer_saas: password(),
  logto: password(),
  logto_tenant_logto_default: password(),
  logto_tenant_logto_admin: password(),
  stranger: password(),
};
type Role = keyof typeof passwords;

/**
 * The two ways PostgreSQL turns a role away from a database: no CONNECT privilege, or a pg_hba.conf line. Any other
 * failure (a wrong password, a server that is down) fails the test.
 */
const REFUSED = /^(permission denied for database "\w+"|pg_hba\.conf rejects connection for host "127\.0\.0\.1", user "\w+", database "\w+")/;

let cluster: ThrowawayPostgres | undefined;
let initRuns: InitScriptRun[] = [];

function server(): ThrowawayPostgres {
  if (cluster === undefined) {
    throw new Error('the cluster did not start (see beforeAll)');
  }
  return cluster;
}

async function connect<T>(role: Role, database: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host: '127.0.0.1', port: server().port, user: role, password: passwords[role], database, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** 'connected', or the server's reason for refusing. */
async function tryConnect(role: Role, database: string): Promise<string> {
  try {
    return await connect(role, database, async (client) => {
      const { rows } = await client.query<{ who: string }>('SELECT current_user AS who');
      return rows[0]?.who === role ? 'connected' : `connected as ${rows[0]?.who}`;
    });
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * What `logto db seed` does to roles, as the database user of DB_URL (Logto 1.37.1): packages/schemas/tables/
 * _before_all.sql creates the group role `logto_tenant_<db>`, _after_all.sql grants it CRUD on the tables, and
 * packages/cli/src/commands/database/seed/tenant.ts creates one login role per tenant (`default`, `admin`) in it.
 * Logto core then connects as those tenant roles (packages/core/src/tenants/utils.ts).
 */
async function seedLikeLogto(): Promise<void> {
  await connect('logto', 'logto', async (client) => {
    await client.query(`create role logto_tenant_logto password '' noinherit`);
    await client.query('create table applications (id varchar(21) primary key)');
    await client.query(`insert into applications (id) values ('seeded-app')`);
    await client.query('grant select, insert, update, delete on all tables in schema public to logto_tenant_logto');
    for (const tenant of ['logto_tenant_logto_default', 'logto_tenant_logto_admin'] as const) {
      await client.query(`create role ${tenant} with inherit login password ${client.escapeLiteral(passwords[tenant])} in role logto_tenant_logto`);
    }
  });
}

beforeAll(async () => {
  cluster = await ThrowawayPostgres.create();
  initRuns = cluster.runInitScripts(join(repoRoot, 'deploy/postgres/initdb'), {
    CAMELEER_SAAS_DB_PASSWORD: passwords.cameleer_saas,
    LOGTO_DB_PASSWORD: passwords.logto,
  });
  cluster.listen();
  await seedLikeLogto();
  // A role with PUBLIC's privileges only: what PUBLIC may do, and what the role of a service added later could do.
  const superuser = new Client(cluster.superuser());
  await superuser.connect();
  try {
    await superuser.query(`CREATE ROLE stranger LOGIN PASSWORD ${superuser.escapeLiteral(passwords.stranger)}`);
  } finally {
    await superuser.end();
  }
});

afterAll(() => {
  cluster?.destroy();
});

describe('deploy/postgres/initdb on a throwaway cluster', () => {
  itWithPostgres('runs every init script and reports the databases it created', () => {
    expect(initRuns.map((run) => run.file)).toEqual(['10-create-databases.sh']);
    expect(initRuns[0]?.stdout).toContain('created roles and databases cameleer_saas and logto');
  });

  itWithPostgres("lets the roles Logto's seed creates after the init connect to the logto database and use its tables", async () => {
    for (const tenant of ['logto_tenant_logto_default', 'logto_tenant_logto_admin'] as const) {
      const ids = await connect(tenant, 'logto', async (client) => (await client.query<{ id: string }>('SELECT id FROM applications')).rows.map((row) => row.id));
      expect(ids).toEqual(['seeded-app']);
    }
    expect(await tryConnect('logto', 'logto')).toBe('connected');
  });

  itWithPostgres('lets cameleer_saas reach its own database only', async () => {
    expect(await tryConnect('cameleer_saas', 'cameleer_saas')).toBe('connected');
    expect(await tryConnect('cameleer_saas', 'logto')).toMatch(REFUSED);
  });

  itWithPostgres("keeps Logto's roles out of the cameleer_saas database", async () => {
    for (const role of ['logto', 'logto_tenant_logto_default', 'logto_tenant_logto_admin'] as const) {
      expect(await tryConnect(role, 'cameleer_saas')).toMatch(REFUSED);
    }
  });

  itWithPostgres('lets a role with no grants (PUBLIC, or the role of a service added later) reach neither database', async () => {
    expect(await tryConnect('stranger', 'cameleer_saas')).toMatch(REFUSED);
    expect(await tryConnect('stranger', 'logto')).toMatch(REFUSED);
  });
});
