import { Client, Notification } from 'pg';
import { DataSource } from 'typeorm';
import { buildDataSourceOptions, ChangeBus, DatabaseEndpoint } from '@app/service-core';
import { schema } from '../../apps/api/src/database/schema';
import { eventually } from '../support/eventually';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';
import { createTestDatabase, itOnServer, TestDatabase } from '../support/test-database';

/**
 * Issue 12 #6, across replicas: a change committed on one replica reaches the others even when its NOTIFY first
 * fails (the pool's connection dropped between the commit and the NOTIFY), so no replica keeps serving a cached
 * token of a disabled agent, a suspended tenant or a revoked license for a cache's whole TTL.
 */
describe('issue 12 #6: ChangeBus notifies other replicas even when the first NOTIFY fails', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let dataSource: DataSource;
  let bus: ChangeBus;
  let otherReplica: Client;
  const heard: Notification[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    if (!database.isServer) {
      return;
    }
    const url = new URL(database.url);
    proxy = await startTcpProxy(url.hostname, Number(url.port));
    url.host = `127.0.0.1:${proxy.port}`;
    // This replica's pool goes through the proxy (so a test can drop it); the other replica listens directly.
    dataSource = new DataSource(buildDataSourceOptions(url.toString(), { poolSize: 1, connectTimeoutMs: 1_000, statementTimeoutMs: 10_000 }, schema));
    await dataSource.initialize();
    bus = new ChangeBus({ isEmbedded: false, url: () => Promise.resolve(url.toString()) } as DatabaseEndpoint, dataSource);
    otherReplica = new Client({ connectionString: database.url });
    await otherReplica.connect();
    otherReplica.on('notification', (message) => heard.push(message));
    await otherReplica.query('LISTEN cameleer_changes');
  });

  afterAll(async () => {
    await bus?.onApplicationShutdown();
    await otherReplica?.end();
    await dataSource?.destroy().catch(() => undefined);
    await proxy?.close();
    await database?.drop();
  });

  itOnServer('LISTEN/NOTIFY between two sessions')('retries a NOTIFY that failed until PostgreSQL takes it, and this replica hears the change at once', async () => {
    const here: string[] = [];
    bus.subscribe((change) => here.push(`${change.topic}:${change.id}`));
    await dataSource.query('SELECT 1');
    proxy.outage();
    bus.publish({ topic: 'agent', id: 'agent-1' });
    expect(here).toEqual(['agent:agent-1']);
    // The first attempt fails on the dropped connection; nothing can have reached the other replica yet.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(heard).toEqual([]);
    proxy.restore();
    const [message] = await eventually(
      () => {
        expect(heard).toHaveLength(1);
        return heard;
      },
      { within: 5_000 },
    );
    expect(JSON.parse(message?.payload ?? '')).toMatchObject({ topic: 'agent', id: 'agent-1' });
  });
});
