import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

// Ports are drawn below the kernel's ephemeral range: a socket the OS places itself (listen(0), e.g. embedded
// PostgreSQL, or an outgoing connection) then never takes a port between this check and the process that binds it.
const FIRST_CANDIDATE = 10_000;
const handedOut = new Set<number>();

function ephemeralRangeStart(): number | undefined {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > FIRST_CANDIDATE + 1_000 ? low : undefined;
  } catch {
    return undefined;
  }
}

/** Binds `port` (0: the OS picks) on loopback and releases it; the port bound, or undefined when it was taken. */
function probe(port: number): Promise<number | undefined> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once('error', () => resolvePort(undefined));
    server.listen(port, '127.0.0.1', () => {
      const bound = (server.address() as { port: number }).port;
      server.close(() => resolvePort(bound));
    });
  });
}

/** A loopback TCP port that was free a moment ago, for a process that must be told its port (never twice per process). */
export async function freePort(): Promise<number> {
  const end = ephemeralRangeStart();
  for (let attempt = 0; end !== undefined && attempt < 100; attempt++) {
    const port = FIRST_CANDIDATE + Math.floor(Math.random() * (end - FIRST_CANDIDATE));
    if (!handedOut.has(port) && (await probe(port)) === port) {
      handedOut.add(port);
      return port;
    }
  }
  const port = await probe(0);
  if (port === undefined) {
    throw new Error('no free loopback port');
  }
  return port;
}
