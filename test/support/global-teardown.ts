import { Client } from 'pg';

/** Drops the template and any per-file database a crashed test file left behind (once, for the int and e2e projects). */
export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  const template = process.env.CAMELEER_TEST_TEMPLATE;
  if (serverUrl === undefined || serverUrl === '' || template === undefined) {
    return;
  }
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const leftovers = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`t_${process.pid}_%`]);
    for (const { datname } of [...leftovers.rows, { datname: template }]) {
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
  delete process.env.CAMELEER_TEST_TEMPLATE;
}
