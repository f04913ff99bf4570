/**
 * Pure number helpers for the bench harness: median, percentile, ratio formatting and the wrk output parser.
 * No I/O here, so everything in this file is unit tested (stats.spec.ts).
 */

/** Median of a non-empty list; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) {
    throw new Error('median of an empty list');
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) {
    return sorted[mid] as number;
  }
  return ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Percentile p (0..100) with linear interpolation between closest ranks (the "R-7" / numpy default method).
 * percentile(xs, 50) === median(xs).
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) {
    throw new Error('percentile of an empty list');
  }
  if (!(p >= 0 && p <= 100)) {
    throw new RangeError(`percentile must be within 0..100, got ${p}`);
  }
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const low = sorted[lo] as number;
  const high = sorted[hi] as number;
  return low + (high - low) * (rank - lo);
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) {
    throw new Error('mean of an empty list');
  }
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

/** (max - min) / median as a fraction: 0.08 means the samples spread over 8 % of their median. */
export function relativeSpread(values: readonly number[]): number {
  const mid = median(values);
  if (mid === 0) {
    return Number.NaN;
  }
  return (Math.max(...values) - Math.min(...values)) / Math.abs(mid);
}

/** "median of 3, spread 8%": how a median row tells the reader how noisy its samples were. */
export function describeSamples(values: readonly number[]): string {
  const spread = relativeSpread(values);
  return `median of ${values.length}${Number.isFinite(spread) && values.length > 1 ? `, spread ${Math.round(spread * 100)}%` : ''}`;
}

/** target / baseline; NaN when either side is not a finite number or the baseline is 0. */
export function ratio(target: number, baseline: number): number {
  if (!Number.isFinite(target) || !Number.isFinite(baseline) || baseline === 0) {
    return Number.NaN;
  }
  return target / baseline;
}

/** "0.23x", "1.00x", "12.4x"; "n/a" for NaN. Two decimals below 10, one above. */
export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) {
    return 'n/a';
  }
  return value >= 10 ? `${value.toFixed(1)}x` : `${value.toFixed(2)}x`;
}

/** Human number: 12345.6 -> "12,346", 1.234 -> "1.23", integers without decimals. */
export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) {
    return 'n/a';
  }
  const abs = Math.abs(value);
  const decimals = Number.isInteger(value) || abs >= 1000 ? 0 : abs >= 100 ? Math.min(digits, 1) : digits;
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

/** Parses a wrk duration such as "510.00us", "1.33ms", "2.10s", "1.5m" into milliseconds. */
export function parseWrkDuration(text: string): number {
  const m = /^\s*([\d.]+)\s*(us|ms|s|m|h)\s*$/.exec(text);
  if (!m) {
    throw new Error(`not a wrk duration: ${JSON.stringify(text)}`);
  }
  const value = Number(m[1]);
  const unit = m[2] as 'us' | 'ms' | 's' | 'm' | 'h';
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit];
  return value * factor;
}

export interface WrkSocketErrors {
  connect: number;
  read: number;
  write: number;
  timeout: number;
}

/** What one wrk run reported. Latencies in milliseconds. */
export interface WrkResult {
  requests: number;
  durationMs: number;
  requestsPerSec: number;
  latencyAvgMs: number;
  latencyMaxMs: number;
  /** Percentile -> ms, from the "Latency Distribution" block (--latency) or the Lua done hook (exact). */
  latencyPercentilesMs: Record<number, number>;
  socketErrors: WrkSocketErrors;
  /** Responses with a status outside 2xx/3xx. */
  non2xx: number;
  /** True when the figures came from the harness' Lua done hook (a "BENCH_JSON {...}" line). */
  fromLuaHook: boolean;
}

/** The line the harness' Lua `done` hook prints (see load.ts); values in microseconds. */
export interface WrkLuaSummary {
  requests: number;
  duration_us: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latency_us: { mean: number; max: number; p50: number; p75: number; p90: number; p99: number; p999: number };
}

export const WRK_JSON_MARKER = 'BENCH_JSON ';

/**
 * Parses the text wrk prints (run with --latency for the percentile block). When the output also carries the
 * harness' Lua hook line ("BENCH_JSON {...}"), its exact counts and percentiles take precedence over the
 * rounded text figures.
 */
export function parseWrkOutput(output: string): WrkResult {
  const lines = output.split(/\r?\n/);
  const result: WrkResult = {
    requests: Number.NaN,
    durationMs: Number.NaN,
    requestsPerSec: Number.NaN,
    latencyAvgMs: Number.NaN,
    latencyMaxMs: Number.NaN,
    latencyPercentilesMs: {},
    socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
    non2xx: 0,
    fromLuaHook: false,
  };
  let inDistribution = false;
  for (const raw of lines) {
    const line = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^Latency\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$/.exec(line))) {
      result.latencyAvgMs = parseWrkDuration(m[1] as string);
      result.latencyMaxMs = parseWrkDuration(m[3] as string);
      continue;
    }
    if (line === 'Latency Distribution') {
      inDistribution = true;
      continue;
    }
    if (inDistribution && (m = /^([\d.]+)%\s+(\S+)$/.exec(line))) {
      result.latencyPercentilesMs[Number(m[1])] = parseWrkDuration(m[2] as string);
      continue;
    }
    inDistribution = false;
    if ((m = /^(\d+) requests in ([\d.]+\w+), /.exec(line))) {
      result.requests = Number(m[1]);
      result.durationMs = parseWrkDuration(m[2] as string);
      continue;
    }
    if ((m = /^Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)$/.exec(line))) {
      result.socketErrors = { connect: Number(m[1]), read: Number(m[2]), write: Number(m[3]), timeout: Number(m[4]) };
      continue;
    }
    if ((m = /^Non-2xx or 3xx responses: (\d+)$/.exec(line))) {
      result.non2xx = Number(m[1]);
      continue;
    }
    if ((m = /^Requests\/sec:\s+([\d.]+)$/.exec(line))) {
      result.requestsPerSec = Number(m[1]);
      continue;
    }
    if (line.startsWith(WRK_JSON_MARKER)) {
      applyLuaSummary(result, JSON.parse(line.slice(WRK_JSON_MARKER.length)) as WrkLuaSummary);
    }
  }
  if (!Number.isFinite(result.requestsPerSec)) {
    const firstLine = lines.find((l) => l.trim() !== '') ?? '';
    throw new Error(`wrk output has no "Requests/sec" line: ${firstLine.trim()}`);
  }
  return result;
}

function applyLuaSummary(result: WrkResult, s: WrkLuaSummary): void {
  const us = (v: number): number => v / 1000;
  result.fromLuaHook = true;
  result.requests = s.requests;
  result.durationMs = us(s.duration_us);
  result.requestsPerSec = s.duration_us > 0 ? s.requests / (s.duration_us / 1e6) : Number.NaN;
  result.latencyAvgMs = us(s.latency_us.mean);
  result.latencyMaxMs = us(s.latency_us.max);
  result.latencyPercentilesMs = {
    50: us(s.latency_us.p50),
    75: us(s.latency_us.p75),
    90: us(s.latency_us.p90),
    99: us(s.latency_us.p99),
    99.9: us(s.latency_us.p999),
  };
  result.socketErrors = { connect: s.errors.connect, read: s.errors.read, write: s.errors.write, timeout: s.errors.timeout };
  result.non2xx = s.errors.status;
}
