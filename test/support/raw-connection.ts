import { connect, Socket } from 'node:net';

/** A raw TCP connection to a local port that records whether (and with what bytes) the server closed it. */
export interface RawConnection {
  readonly socket: Socket;
  closed(): boolean;
  received(): string;
}

/** Opens a raw connection to 127.0.0.1:`port`; the socket is pushed onto `sockets` so the spec can destroy it after each test. */
export async function openRawConnection(port: number, sockets: Socket[]): Promise<RawConnection> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let closed = false;
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, closed: () => closed, received: () => received };
}
