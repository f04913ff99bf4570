import { interleave } from './compare';
import { median, ratio } from './stats';

export interface OpsOptions {
  /** Measured time per run (default 1000 ms; 300 ms under BENCH_QUICK=1). */
  durationMs?: number;
  /** Unmeasured time before the measured run, for JIT warm-up (default durationMs / 4). */
  warmupMs?: number;
}

/**
 * Written to so the optimiser cannot drop a benchmarked call whose result is unused.
 * @public (exported for that reason only, not to be imported)
 */
export let blackhole: unknown;

function defaultDuration(): number {
  return process.env.BENCH_QUICK === '1' ? 300 : 1000;
}

async function measure(fn: () => unknown, durationMs: number): Promise<{ ops: number; elapsedMs: number }> {
  const first = fn();
  const isAsync = typeof (first as { then?: unknown } | null)?.then === 'function';
  if (isAsync) {
    blackhole = await first;
  }
  let ops = 0;
  let batch = 1;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(durationMs * 1e6));
  let now = start;
  while (now < end) {
    const batchStart = now;
    if (isAsync) {
      for (let i = 0; i < batch; i++) {
        blackhole = await fn();
      }
    } else {
      for (let i = 0; i < batch; i++) {
        blackhole = fn();
      }
    }
    ops += batch;
    now = process.hrtime.bigint();
    // Grow batches until one takes ~2 ms, so reading the clock stays negligible next to fn().
    if (now - batchStart < 2_000_000n && batch < 1 << 20) {
      batch *= 2;
    }
  }
  return { ops, elapsedMs: Number(now - start) / 1e6 };
}

/**
 * Calls `fn` back to back for `durationMs` (after a warm-up) and returns calls per second. An `fn` returning a
 * promise is awaited each call (sequential, not concurrent).
 */
export async function opsPerSecond(fn: () => unknown, opts: OpsOptions = {}): Promise<number> {
  const durationMs = opts.durationMs ?? defaultDuration();
  await measure(fn, opts.warmupMs ?? durationMs / 4);
  const { ops, elapsedMs } = await measure(fn, durationMs);
  return (ops / elapsedMs) * 1000;
}

export interface OpsSummary {
  name: string;
  /** Median ops/s over the rounds. */
  opsPerSec: number;
  samples: number[];
}

export interface OpsComparison {
  candidate: OpsSummary;
  baseline: OpsSummary;
  /** candidate / baseline (median ops/s); 0.5 means the candidate does half the work per second. */
  ratio: number;
}

/**
 * "Ours vs the raw primitive": measures both `rounds` times (default 5), interleaved with alternating order,
 * and reports the medians and their ratio.
 */
export async function compareOps(
  candidate: { name: string; fn: () => unknown },
  baseline: { name: string; fn: () => unknown },
  opts: OpsOptions & { rounds?: number } = {},
): Promise<OpsComparison> {
  const rounds = opts.rounds ?? 5;
  if (candidate.name === baseline.name) {
    throw new Error(`compareOps needs two different names, got ${candidate.name} twice`);
  }
  const samples = await interleave(
    [candidate, baseline].map((c) => ({ name: c.name, run: () => opsPerSecond(c.fn, opts) })),
    rounds,
  );
  const summary = (name: string): OpsSummary => {
    const s = samples.get(name) ?? [];
    return { name, opsPerSec: median(s), samples: s };
  };
  const cand = summary(candidate.name);
  const base = summary(baseline.name);
  return { candidate: cand, baseline: base, ratio: ratio(cand.opsPerSec, base.opsPerSec) };
}
