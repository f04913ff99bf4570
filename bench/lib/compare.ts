import type { BenchConfig } from './config';
import { runLoad, type LoadOptions, type LoadResult } from './load';
import type { ResultRow } from './report';
import { median, ratio, relativeSpread } from './stats';

export interface Variant<T> {
  name: string;
  run(round: number): Promise<T>;
}

/**
 * Runs every variant `rounds` times, interleaved, alternating the order each round (A B, B A, A B, ...) so slow
 * drift (thermal, other tenants, GC of the harness) hits both sides alike. Returns samples per variant name.
 */
export async function interleave<T>(
  variants: ReadonlyArray<Variant<T>>,
  rounds: number,
  onResult?: (name: string, round: number, result: T) => void,
): Promise<Map<string, T[]>> {
  const out = new Map<string, T[]>(variants.map((v) => [v.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? variants : [...variants].reverse();
    for (const variant of order) {
      const result = await variant.run(round);
      out.get(variant.name)?.push(result);
      onResult?.(variant.name, round, result);
    }
  }
  return out;
}

/** Medians over several load runs of one server. Error counts are summed, not medians. */
export interface LoadSummary {
  name: string;
  url: string;
  requestsPerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  requests: number;
  errors: number;
  non2xx: number;
  samples: LoadResult[];
}

function summarizeLoad(name: string, samples: readonly LoadResult[]): LoadSummary {
  const pick = (f: (r: LoadResult) => number): number => median(samples.map(f));
  const sum = (f: (r: LoadResult) => number): number => samples.reduce((a, r) => a + f(r), 0);
  return {
    name,
    url: samples[0]?.url ?? '',
    requestsPerSec: pick((r) => r.requestsPerSec),
    p50Ms: pick((r) => r.p50Ms),
    p90Ms: pick((r) => r.p90Ms),
    p99Ms: pick((r) => r.p99Ms),
    requests: sum((r) => r.requests),
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
    samples: [...samples],
  };
}

export interface LoadTarget {
  name: string;
  /** Full URL including path, e.g. http://127.0.0.1:1234/api/health */
  url: string;
}

export type RequestShape = Pick<LoadOptions, 'method' | 'headers' | 'body'>;

export interface LoadComparison {
  target: LoadSummary;
  baseline: LoadSummary;
  /** target / baseline, medians. */
  rpsRatio: number;
  p50Ratio: number;
  p99Ratio: number;
}

/**
 * Warm-up (unmeasured) on both, then `config.rounds` interleaved measured runs each with the same request shape
 * and load settings. The baseline gets the same request (a bare server ignores path/headers/body).
 */
export async function compareLoad(opts: {
  target: LoadTarget;
  baseline: LoadTarget;
  config: BenchConfig;
  request?: RequestShape;
  log?: (message: string) => void;
}): Promise<LoadComparison> {
  const { config, request } = opts;
  const log = opts.log ?? ((): void => undefined);
  const load = (t: LoadTarget, durationS: number): Promise<LoadResult> =>
    runLoad({
      ...request,
      url: t.url,
      durationS,
      connections: config.connections,
      threads: config.threads,
      generator: config.generator,
    });
  for (const t of [opts.baseline, opts.target]) {
    log(`warm-up ${t.name} (${config.warmupS} s)`);
    await load(t, config.warmupS);
  }
  const variants: Array<Variant<LoadResult>> = [opts.baseline, opts.target].map((t) => ({
    name: t.name,
    run: () => load(t, config.durationS),
  }));
  const samples = await interleave(variants, config.rounds, (name, round, r) =>
    log(
      `round ${round + 1}/${config.rounds} ${name}: ${Math.round(r.requestsPerSec)} req/s, p50 ${r.p50Ms.toFixed(2)} ms, ` +
        `p99 ${r.p99Ms.toFixed(2)} ms, errors ${r.errors}, non-2xx ${r.non2xx}`,
    ),
  );
  const target = summarizeLoad(opts.target.name, samples.get(opts.target.name) ?? []);
  const baseline = summarizeLoad(opts.baseline.name, samples.get(opts.baseline.name) ?? []);
  return {
    target,
    baseline,
    rpsRatio: ratio(target.requestsPerSec, baseline.requestsPerSec),
    p50Ratio: ratio(target.p50Ms, baseline.p50Ms),
    p99Ratio: ratio(target.p99Ms, baseline.p99Ms),
  };
}

/** The standard four report rows for a load comparison: req/s, p50, p99 (each vs baseline) and errors. */
export function loadComparisonRows(label: string, cmp: LoadComparison): Array<Omit<ResultRow, 'suite'>> {
  const { target, baseline } = cmp;
  const base = { baselineName: baseline.name };
  const n = target.samples.length;
  const pct = (v: number): string => (Number.isFinite(v) ? `${Math.round(v * 100)}%` : 'n/a');
  const spreadNote = (f: (r: LoadResult) => number): string =>
    `median of ${n}, spread ${pct(relativeSpread(target.samples.map(f)))} (baseline ${pct(relativeSpread(baseline.samples.map(f)))})`;
  return [
    {
      ...base,
      metric: `${label} throughput`,
      unit: 'req/s',
      value: target.requestsPerSec,
      baseline: baseline.requestsPerSec,
      ratio: cmp.rpsRatio,
      better: 'higher',
      samples: target.samples.map((s) => s.requestsPerSec),
      baselineSamples: baseline.samples.map((s) => s.requestsPerSec),
      note: spreadNote((s) => s.requestsPerSec),
    },
    {
      ...base,
      metric: `${label} p50 latency`,
      unit: 'ms',
      value: target.p50Ms,
      baseline: baseline.p50Ms,
      ratio: cmp.p50Ratio,
      better: 'lower',
      samples: target.samples.map((s) => s.p50Ms),
      baselineSamples: baseline.samples.map((s) => s.p50Ms),
      note: spreadNote((s) => s.p50Ms),
    },
    {
      ...base,
      metric: `${label} p99 latency`,
      unit: 'ms',
      value: target.p99Ms,
      baseline: baseline.p99Ms,
      ratio: cmp.p99Ratio,
      better: 'lower',
      samples: target.samples.map((s) => s.p99Ms),
      baselineSamples: baseline.samples.map((s) => s.p99Ms),
      note: spreadNote((s) => s.p99Ms),
    },
    {
      ...base,
      metric: `${label} errors / non-2xx`,
      unit: '',
      value: target.errors + target.non2xx,
      baseline: baseline.errors + baseline.non2xx,
      note: `socket errors ${target.errors}, non-2xx ${target.non2xx} of ${target.requests} requests (sum of ${n} runs)`,
    },
  ];
}
