import type { Socket } from 'node:net';
import request from 'supertest';
import { loadConfig, serviceConfigSchema } from '@app/service-core';
import { portOf } from '../support/hardening';
import { eventually } from '../support/tenant-fixtures';
import { startTestApp, TestApp } from '../support/test-app';
import { openRawConnection } from '../support/raw-connection';

// Finding 14: a client that sent headers and part of a body, then stalled (or dripped a byte now and then), held
// a connection on the main port for minutes. Header, request and idle timeouts now cut it.
describe('hardening: slow and stalled requests on the main port', () => {
  let testApp: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    testApp = await startTestApp({
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_IDLE_TIMEOUT_MS: '1500',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
    });
  });
  afterEach(() => {
    for (const socket of sockets.splice(0)) {
      socket.destroy();
    }
  });
  afterAll(async () => {
    await testApp?.close();
  });

  const openConnection = () => openRawConnection(portOf(testApp), sockets);

  const headersOfTokenRequest = (contentLength: number) =>
    `POST /api/agents/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${contentLength}\r\n\r\n`;

  it('closes a connection that sent its headers and part of the body, then stalled', async () => {
    const connection = await openConnection();
    connection.socket.write(`${headersOfTokenRequest(1000)}{"assertion":"`);
    await eventually(() => Promise.resolve(connection.closed() ? true : undefined), 15_000, 'the stalled connection to be closed');
    expect(connection.received()).not.toMatch(/^HTTP\/1\.1 2/);
  });

  it('closes a connection that drips its body a byte at a time (each byte keeps it from going idle)', async () => {
    const connection = await openConnection();
    connection.socket.write(`${headersOfTokenRequest(1000)}{`);
    const drip = setInterval(() => {
      if (!connection.closed()) {
        connection.socket.write(' ');
      }
    }, 200);
    try {
      await eventually(() => Promise.resolve(connection.closed() ? true : undefined), 15_000, 'the dripping connection to be closed');
    } finally {
      clearInterval(drip);
    }
  });

  it('closes a connection that never finishes its headers', async () => {
    const connection = await openConnection();
    connection.socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    await eventually(() => Promise.resolve(connection.closed() ? true : undefined), 15_000, 'the connection with unfinished headers to be closed');
  });

  it('closes an idle connection that never sends anything', async () => {
    const connection = await openConnection();
    await eventually(() => Promise.resolve(connection.closed() ? true : undefined), 15_000, 'the silent connection to be closed');
  });

  it('closes an idle keep-alive connection after a complete request', async () => {
    const connection = await openConnection();
    connection.socket.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    await eventually(() => Promise.resolve(connection.received().startsWith('HTTP/1.1 200') ? true : undefined), 15_000, 'the answer');
    await eventually(() => Promise.resolve(connection.closed() ? true : undefined), 15_000, 'the idle keep-alive connection to be closed');
  });

  it('keeps answering ordinary requests while stalled connections are open', async () => {
    const stalled = await Promise.all(Array.from({ length: 20 }, () => openConnection()));
    for (const connection of stalled) {
      connection.socket.write(`${headersOfTokenRequest(1000)}{`);
    }
    await request(testApp.server).get('/api/health').expect(200);
    await request(testApp.server).post('/api/agents/token').send({ assertion: 'x' }).expect((response) => expect(response.status).toBeLessThan(500));
  });
});

describe('HTTP timeouts: the defaults', () => {
  it('cut a stalled body within 30 s and are configurable', () => {
    const defaults = loadConfig(serviceConfigSchema, { NODE_ENV: 'production' });
    expect(defaults.httpTimeouts.requestMs).toBeLessThanOrEqual(30_000);
    expect(defaults.httpTimeouts.idleMs).toBeLessThanOrEqual(30_000);
    expect(defaults.httpTimeouts.headersMs).toBeLessThanOrEqual(defaults.httpTimeouts.requestMs);
    const configured = loadConfig(serviceConfigSchema, { NODE_ENV: 'production', HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_IDLE_TIMEOUT_MS: '4000' });
    expect(configured.httpTimeouts).toMatchObject({ requestMs: 5000, headersMs: 2000, idleMs: 4000 });
  });

  it('refuses a header timeout longer than the request timeout', () => {
    expect(() => loadConfig(serviceConfigSchema, { HTTP_REQUEST_TIMEOUT_MS: '5000', HTTP_HEADERS_TIMEOUT_MS: '6000' })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
  });
});
