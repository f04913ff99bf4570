import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LoadGenerator } from './config';
import { trackChild } from './processes';
import { parseWrkOutput, WRK_JSON_MARKER } from './stats';

export interface LoadOptions {
  url: string;
  durationS: number;
  connections: number;
  /** wrk threads (ignored by autocannon); capped at `connections`. */
  threads?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Per-request timeout in seconds (default 10). */
  timeoutS?: number;
  generator: LoadGenerator;
  /**
   * Each request takes the next line of `file` as header `name` (`prefix` + line), e.g. a stream of distinct bearer
   * tokens. Lines are split between wrk threads; after the last line a thread starts over (counted in `cycled`).
   */
  headerFromFile?: CycledHeader;
}

export interface CycledHeader {
  name: string;
  file: string;
  prefix?: string;
}

/** With `headerFromFile`, summed over threads: requests sent (each took one line), distinct lines available, and
 * requests that reused a line because their thread had run through its share. */
export interface CycledHeaderUse {
  used: number;
  available: number;
  reused: number;
}

const CYCLE_JSON_MARKER = 'BENCH_CYCLE ';

/** One load run. Latencies in milliseconds. */
export interface LoadResult {
  generator: LoadGenerator;
  url: string;
  requests: number;
  durationMs: number;
  requestsPerSec: number;
  avgMs: number;
  maxMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  /** Socket-level failures: connect/read/write errors and timeouts. */
  errors: number;
  /** Responses outside 2xx (wrk: outside 2xx/3xx). */
  non2xx: number;
  /** Set when the run used `headerFromFile`. */
  cycled?: CycledHeaderUse;
}

/** Runs one load against `url` with wrk or autocannon, each in its own process. */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  return opts.generator === 'wrk' ? runWrk(opts) : runAutocannon(opts);
}

interface ProcessOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runProcess(cmd: string, args: string[], timeoutMs: number): Promise<ProcessOutput> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Lua string literal with every byte outside [A-Za-z0-9 ...] as a decimal escape (LuaJIT has no \u). */
export function luaString(value: string): string {
  let out = '"';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9 _.,:;/=+\-()[\]{}<>!?@#$%^&*|~']/.test(ch) ? ch : `\\${byte}`;
  }
  return `${out}"`;
}

/**
 * Lua for `headerFromFile`: every thread loads its share of the lines (line k goes to thread k % threads) as
 * ready-made requests in init(), and request() hands them out in order, wrapping after the last one.
 */
function cycledHeaderLua(cycle: CycledHeader, threads: number): string[] {
  return [
    'local bench_threads, bench_next_id = {}, 0',
    'function setup(thread)',
    '  thread:set("bench_id", bench_next_id)',
    '  bench_next_id = bench_next_id + 1',
    '  table.insert(bench_threads, thread)',
    'end',
    'local bench_requests, bench_n, bench_i = {}, 0, 0',
    'function init(args)',
    '  local k = 0',
    `  for line in io.lines(${luaString(cycle.file)}) do`,
    '    if line ~= "" then',
    `      if k % ${threads} == bench_id then`,
    '        local h = {}',
    '        for name, value in pairs(wrk.headers) do h[name] = value end',
    `        h[${luaString(cycle.name)}] = ${luaString(cycle.prefix ?? '')} .. line`,
    '        bench_n = bench_n + 1',
    '        bench_requests[bench_n] = wrk.format(nil, nil, h)',
    '      end',
    '      k = k + 1',
    '    end',
    '  end',
    '  bench_available, bench_used = bench_n, 0',
    'end',
    'function request()',
    '  bench_i = bench_i + 1',
    '  if bench_i > bench_n then bench_i = 1 end',
    '  bench_used = bench_used + 1',
    '  return bench_requests[bench_i]',
    'end',
    'local function bench_cycle_report()',
    '  local used, available, reused = 0, 0, 0',
    '  for _, t in ipairs(bench_threads) do',
    '    local u, a = t:get("bench_used") or 0, t:get("bench_available") or 0',
    '    used, available, reused = used + u, available + a, reused + math.max(0, u - a)',
    '  end',
    `  io.write(string.format('${CYCLE_JSON_MARKER}{"used":%d,"available":%d,"reused":%d}\\n', used, available, reused))`,
    'end',
  ];
}

/** The wrk script: request shape plus a `done` hook that prints exact counts and percentiles as one JSON line. */
export function wrkScript(opts: Pick<LoadOptions, 'method' | 'headers' | 'body' | 'headerFromFile'>, threads = 1): string {
  const lines: string[] = [];
  lines.push(`wrk.method = ${luaString(opts.method ?? 'GET')}`);
  for (const [name, value] of Object.entries(opts.headers ?? {})) {
    lines.push(`wrk.headers[${luaString(name)}] = ${luaString(value)}`);
  }
  if (opts.body !== undefined) {
    lines.push(`wrk.body = ${luaString(opts.body)}`);
  }
  if (opts.headerFromFile !== undefined) {
    lines.push(...cycledHeaderLua(opts.headerFromFile, threads));
  }
  lines.push(
    'done = function(summary, latency, requests)',
    ...(opts.headerFromFile !== undefined ? ['  bench_cycle_report()'] : []),
    '  local e = summary.errors',
    `  io.write(string.format('${WRK_JSON_MARKER}{"requests":%d,"duration_us":%d,` +
      `"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},` +
      `"latency_us":{"mean":%.3f,"max":%d,"p50":%d,"p75":%d,"p90":%d,"p99":%d,"p999":%d}}\\n',`,
    '    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,',
    '    latency.mean, latency.max, latency:percentile(50), latency:percentile(75), latency:percentile(90),',
    '    latency:percentile(99), latency:percentile(99.9)))',
    'end',
  );
  return `${lines.join('\n')}\n`;
}

async function runWrk(opts: LoadOptions): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-wrk-'));
  const removeDir = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir); // also on Ctrl-C (the runner exits from its SIGINT handler)
  try {
    const script = join(dir, 'script.lua');
    const threads = Math.max(1, Math.min(opts.threads ?? 1, opts.connections));
    writeFileSync(script, wrkScript(opts, threads));
    const timeoutS = opts.timeoutS ?? 10;
    const args = ['-t', String(threads), '-c', String(opts.connections), '-d', `${opts.durationS}s`];
    args.push('--timeout', `${timeoutS}s`, '--latency', '-s', script, opts.url);
    const out = await runProcess('wrk', args, (opts.durationS + timeoutS + 30) * 1000);
    if (out.code !== 0) {
      throw new Error(`wrk exited with ${out.code}: ${(out.stderr || out.stdout).trim()}`);
    }
    const parsed = parseWrkOutput(out.stdout);
    const { connect, read, write, timeout } = parsed.socketErrors;
    const socketErrors = connect + read + write + timeout;
    return {
      generator: 'wrk',
      url: opts.url,
      requests: parsed.requests,
      durationMs: parsed.durationMs,
      requestsPerSec: parsed.requestsPerSec,
      avgMs: parsed.latencyAvgMs,
      maxMs: parsed.latencyMaxMs,
      p50Ms: parsed.latencyPercentilesMs[50] ?? Number.NaN,
      p90Ms: parsed.latencyPercentilesMs[90] ?? Number.NaN,
      p99Ms: parsed.latencyPercentilesMs[99] ?? Number.NaN,
      errors: socketErrors,
      non2xx: parsed.non2xx,
      cycled: opts.headerFromFile === undefined ? undefined : parseCycleLine(out.stdout),
    };
  } finally {
    removeDir();
    process.removeListener('exit', removeDir);
  }
}

function parseCycleLine(stdout: string): CycledHeaderUse {
  const line = stdout.split('\n').find((l) => l.startsWith(CYCLE_JSON_MARKER));
  if (line === undefined) {
    throw new Error(`load generator printed no ${CYCLE_JSON_MARKER.trim()} line`);
  }
  return JSON.parse(line.slice(CYCLE_JSON_MARKER.length)) as CycledHeaderUse;
}

interface AutocannonChildResult {
  requests: number;
  durationMs: number;
  requestsPerSec: number;
  latency: { avg: number; max: number; p50: number; p90: number; p99: number; p999: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}

async function runAutocannon(opts: LoadOptions): Promise<LoadResult> {
  const input = {
    url: opts.url,
    method: opts.method ?? 'GET',
    headers: opts.headers ?? {},
    body: opts.body,
    connections: opts.connections,
    durationS: opts.durationS,
    timeoutS: opts.timeoutS ?? 10,
    headerFromFile: opts.headerFromFile,
  };
  const timeoutMs = (opts.durationS + input.timeoutS + 30) * 1000;
  const out = await runProcess(process.execPath, [join(__dirname, 'autocannon-child.js'), JSON.stringify(input)], timeoutMs);
  const line = out.stdout.split('\n').find((l) => l.startsWith(WRK_JSON_MARKER));
  if (out.code !== 0 || line === undefined) {
    throw new Error(`autocannon exited with ${out.code}: ${(out.stderr || out.stdout).trim()}`);
  }
  const r = JSON.parse(line.slice(WRK_JSON_MARKER.length)) as AutocannonChildResult;
  return {
    generator: 'autocannon',
    url: opts.url,
    requests: r.requests,
    durationMs: r.durationMs,
    requestsPerSec: r.requestsPerSec,
    avgMs: r.latency.avg,
    maxMs: r.latency.max,
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    errors: r.errors, // autocannon counts timeouts inside errors
    non2xx: r.non2xx,
    cycled: opts.headerFromFile === undefined ? undefined : parseCycleLine(out.stdout),
  };
}
