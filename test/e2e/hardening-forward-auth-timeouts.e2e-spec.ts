import type { Socket } from 'node:net';
import request from 'supertest';
import { ForwardAuthServer } from '@app/forward-auth';
import { eventually } from '../support/tenant-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { openRawConnection } from '../support/raw-connection';

// Finding 14 on the dedicated forward-auth port (a bare node:http server): a client that stalled its headers or
// body, or never sent anything, held a connection there for minutes. The main port's HTTP_*_TIMEOUT_MS now apply.
describe('hardening: slow and stalled requests on the forward-auth port', () => {
  let testApp: TestApp;
  let port: number;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    testApp = await startTestApp({
      FORWARD_AUTH_PORT: '0',
      FORWARD_AUTH_HOST: '127.0.0.1',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_IDLE_TIMEOUT_MS: '1500',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
    });
    port = testApp.app.get(ForwardAuthServer).port ?? 0;
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) {
      socket.destroy();
    }
  });
  afterAll(async () => {
    await testApp?.close();
  });

  const openConnection = () => openRawConnection(port, sockets);

  const closedWithin = (connection: { closed: () => boolean }, what: string) =>
    eventually(() => Promise.resolve(connection.closed() ? true : undefined), 15_000, what);

  it('closes a connection that never finishes its headers', async () => {
    const connection = await openConnection();
    connection.socket.write('GET /api/auth/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-Host: ');
    await closedWithin(connection, 'the connection with unfinished headers to be closed');
    expect(connection.received()).not.toMatch(/^HTTP\/1\.1 2/);
  });

  it('closes a connection that drips its headers a byte at a time (each byte keeps it from going idle)', async () => {
    const connection = await openConnection();
    connection.socket.write('GET /api/auth/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const drip = setInterval(() => {
      if (!connection.closed()) {
        connection.socket.write('a');
      }
    }, 200);
    try {
      await closedWithin(connection, 'the dripping connection to be closed');
    } finally {
      clearInterval(drip);
    }
  });

  it('closes a connection that announced a body and stalled it', async () => {
    const connection = await openConnection();
    connection.socket.write('GET /api/auth/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n{');
    await closedWithin(connection, 'the stalled body to be cut');
  });

  it('closes an idle connection that never sends anything', async () => {
    const connection = await openConnection();
    await closedWithin(connection, 'the silent connection to be closed');
  });

  it('closes an idle keep-alive connection after a complete request', async () => {
    const connection = await openConnection();
    connection.socket.write('GET /api/auth/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    await eventually(() => Promise.resolve(connection.received().startsWith('HTTP/1.1 401') ? true : undefined), 15_000, 'the answer');
    await closedWithin(connection, 'the idle keep-alive connection to be closed');
  });

  it('keeps answering ordinary requests while stalled connections are open', async () => {
    const stalled = await Promise.all(Array.from({ length: 20 }, () => openConnection()));
    for (const connection of stalled) {
      connection.socket.write('GET /api/auth/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    }
    const answer = await request(`http://127.0.0.1:${port}`).get('/api/auth/verify');
    expect({ status: answer.status, code: answer.body.code as unknown }).toEqual({ status: 401, code: 'UNAUTHORIZED' });
  });
});
