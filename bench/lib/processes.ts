import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';

/** A server the harness started as a child process (its own process group, so helpers it spawns go with it). */
export interface ChildServer {
  name: string;
  pid: number;
  port: number;
  /** Base URL without trailing slash, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Milliseconds from spawn() to the first 200 from the ready path. */
  bootMs: number;
  child: ChildProcess;
  /** Resident set size now (VmRSS), in KiB. */
  rssKb(): number;
  /** Peak resident set size so far (VmHWM), in KiB. */
  peakRssKb(): number;
  /** The last ~64 KiB of stdout+stderr, for diagnostics. */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs` (default 5000). */
  stop(graceMs?: number): Promise<void>;
}

export interface StartServerOptions {
  name: string;
  /** Node entry file (spawned with the current node binary). */
  entry: string;
  args?: string[];
  /** Extra node flags, e.g. ['--max-old-space-size=256']. */
  nodeArgs?: string[];
  /** Full environment of the child (PORT is set by the harness). */
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Port to listen on; a free one is picked when omitted. */
  port?: number;
  /** Path polled until it answers 200 (default '/'). */
  readyPath?: string;
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) {
    return;
  }
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) {
      killGroup(child, 'SIGKILL');
    }
  });
}

/** Registers a child (e.g. a load generator) to be killed with the servers on exit or interrupt. */
export function trackChild(child: ChildProcess): void {
  installExitHook();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Kills every child server still running (SIGKILL). For signal handlers in the runner. */
export function killAllChildren(): void {
  for (const child of live) {
    killGroup(child, 'SIGKILL');
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolvePromise(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Status code of one GET, or undefined on a connection error/timeout. */
function httpStatus(url: string, timeoutMs = 1000): Promise<number | undefined> {
  return new Promise((resolvePromise) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      resolvePromise(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolvePromise(undefined));
  });
}

/** Reads a "Vm*" line of /proc/<pid>/status in KiB (Linux only; NaN elsewhere or when the process is gone). */
function readProcStatusKb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Spawns a node server and resolves once `readyPath` answers 200, with bootMs = spawn → first 200
 * (polled every 10 ms). Rejects with the tail of the child's output when it exits or times out first.
 */
export async function startNodeServer(opts: StartServerOptions): Promise<ChildServer> {
  installExitHook();
  const port = opts.port ?? (await freePort());
  const env = { ...(opts.env ?? process.env), PORT: String(port) };
  let output = '';
  const append = (chunk: string): void => {
    output = (output + chunk).slice(-65_536);
  };
  const started = performance.now();
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), opts.entry, ...(opts.args ?? [])], {
    cwd: opts.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('exit', () => live.delete(child));
  child.stdout?.setEncoding('utf8').on('data', append);
  child.stderr?.setEncoding('utf8').on('data', append);
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));

  const url = `http://127.0.0.1:${port}`;
  const readyUrl = url + (opts.readyPath ?? '/');
  const deadline = started + (opts.timeoutMs ?? 60_000);
  let bootMs = Number.NaN;
  for (;;) {
    if (spawnError || child.exitCode !== null || child.signalCode !== null) {
      const why = spawnError ? spawnError.message : `exited with ${child.exitCode ?? child.signalCode}`;
      throw new Error(`${opts.name} ${why} before ready on ${readyUrl}\n--- output ---\n${output.trim()}`);
    }
    if ((await httpStatus(readyUrl, 1000)) === 200) {
      bootMs = performance.now() - started;
      break;
    }
    if (performance.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new Error(`${opts.name} not ready on ${readyUrl} after ${opts.timeoutMs ?? 60_000} ms\n--- output ---\n${output.trim()}`);
    }
    await sleep(10);
  }

  const pid = child.pid as number;
  return {
    name: opts.name,
    pid,
    port,
    url,
    bootMs,
    child,
    rssKb: () => readProcStatusKb(pid, 'VmRSS'),
    peakRssKb: () => readProcStatusKb(pid, 'VmHWM'),
    output: () => output,
    async stop(graceMs = 5000): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) {
        return;
      }
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The baseline: bench/lib/bare-server.js, a plain node:http server answering 200 {"status":"ok"} to anything. */
export function startBareServer(opts: { port?: number; timeoutMs?: number } = {}): Promise<ChildServer> {
  return startNodeServer({
    name: 'bare node:http',
    entry: join(__dirname, 'bare-server.js'),
    env: { PATH: process.env.PATH ?? '' },
    port: opts.port,
    timeoutMs: opts.timeoutMs ?? 10_000,
  });
}
