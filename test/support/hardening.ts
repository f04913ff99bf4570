import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { TestApp } from './test-app';

/** Row counts of every table the app owns: equal before and after an attack means nothing was written. */
export async function rowCounts(testApp: TestApp): Promise<Record<string, number>> {
  const dataSource = testApp.app.get(DataSource);
  const tables = await dataSource.query<{ table_name: string }[]>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name: table } of tables) {
    const [row] = await dataSource.query<{ n: number }[]>(`SELECT count(*)::int AS n FROM "${table}"`);
    counts[table] = row?.n ?? 0;
  }
  return counts;
}

/**
 * A digest of every row of every table the app owns, by table: a table whose digest is unchanged holds the same rows
 * (a cheap per-step check; pg_dump compares the whole database where a server is available).
 */
export async function tableDigests(testApp: TestApp): Promise<Record<string, string>> {
  const dataSource = testApp.app.get(DataSource);
  const tables = await dataSource.query<{ table_name: string }[]>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const digests: Record<string, string> = {};
  for (const { table_name: table } of tables) {
    const [row] = await dataSource.query<{ digest: string }[]>(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${table}" t`);
    digests[table] = row?.digest ?? '';
  }
  return digests;
}

/** Records every error-level line the app writes through Nest's Logger (the problem filter logs 5xx there). */
export function recordErrorLogs(): { readonly lines: unknown[][]; restore(): void } {
  const lines: unknown[][] = [];
  const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation((...args: unknown[]) => {
    lines.push(args);
  });
  return { lines, restore: () => spy.mockRestore() };
}

/** The port the test app listens on (loopback). */
export function portOf(testApp: TestApp): number {
  const address = testApp.server.address();
  if (address === null || typeof address === 'string') {
    throw new Error('the test app is not listening on a TCP port');
  }
  return address.port;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
}

/** POSTs exact bytes as application/json (supertest would re-serialize a Buffer as JSON). */
export async function postRawJson(testApp: TestApp, path: string, bytes: Buffer): Promise<RawResponse> {
  const response = await fetch(`http://127.0.0.1:${portOf(testApp)}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
