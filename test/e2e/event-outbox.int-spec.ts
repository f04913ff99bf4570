import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '@app/service-core';
import { EventOutbox } from '@app/events';
import { schema } from '../../apps/api/src/database/schema';
import { createTestDatabase, requiresServer, TestDatabase } from '../support/test-database';

const WRITERS = 8;
const EVENTS_PER_WRITER = 15;

/**
 * The pull feed's cursor is gap-free: positions are drawn at commit time, so a reader polling while many
 * transactions append and commit out of order never passes over an event that commits later (issue 16).
 */
describe('event outbox: a gap-free cursor under concurrent writers', () => {
  let database: TestDatabase | undefined;
  let dataSource: DataSource | undefined;
  let outbox: EventOutbox;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = new DataSource(buildDataSourceOptions(database.url, { poolSize: WRITERS + 2, connectTimeoutMs: 10_000, statementTimeoutMs: 60_000 }, schema));
    await dataSource.initialize();
    outbox = new EventOutbox(dataSource);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('an event appended in a rolled-back transaction is never in the feed; a committed one is, with a position', async () => {
    await expect(
      dataSource!.transaction(async (tx) => {
        await outbox.append(tx, { type: 'tenant.created', tenantId: null, data: { marker: 'rolled-back' } });
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    await dataSource!.transaction((tx) => outbox.append(tx, { type: 'tenant.created', tenantId: null, data: { marker: 'committed' } }));
    const page = await outbox.read('0', 100);
    expect(page.items.map((event) => event.data.marker)).toEqual(['committed']);
    expect(page.next).toBe(page.items[0]!.position);
  });

  it('a reader polling during concurrent, out-of-order commits sees every event exactly once, in position order', async () => {
    if (!requiresServer('several concurrent sessions')) {
      return;
    }
    const start = (await outbox.read('0', 1000)).next;
    let writing = true;
    // Each transaction appends, then waits a random while before committing: transactions that appended first
    // often commit last, which is exactly when positions drawn at insert time would let a reader skip a row.
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; i < EVENTS_PER_WRITER; i++) {
        await dataSource!.transaction(async (tx) => {
          await outbox.append(tx, { type: 'agent.registered', tenantId: null, data: { marker: `${w}-${i}` } });
          await tx.query('SELECT pg_sleep($1)', [Math.random() * 0.02]);
        });
      }
    };
    const seen: { position: bigint; marker: string }[] = [];
    const reader = async (): Promise<void> => {
      let cursor = start;
      for (;;) {
        const stillWriting = writing;
        const page = await outbox.read(cursor, 7);
        seen.push(...page.items.map((event) => ({ position: BigInt(event.position), marker: String(event.data.marker) })));
        cursor = page.next;
        if (page.items.length === 0 && !stillWriting) {
          return;
        }
      }
    };
    const reading = reader();
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    writing = false;
    await reading;

    const expected = Array.from({ length: WRITERS }, (_, w) => Array.from({ length: EVENTS_PER_WRITER }, (_, i) => `${w}-${i}`)).flat();
    expect(seen.map((event) => event.marker).sort()).toEqual(expected.sort());
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i]!.position).toBeGreaterThan(seen[i - 1]!.position);
    }
  });

  it('refuses a cursor it never handed out', async () => {
    for (const after of ['-1', '01', '1e3', 'abc', '9223372036854775808', ' 1']) {
      await expect(outbox.read(after, 10)).rejects.toMatchObject({ code: 'INVALID_CURSOR' });
    }
  });
});
