import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export type LoadGenerator = 'wrk' | 'autocannon';

/** Knobs shared by every suite, read once from the environment. */
export interface BenchConfig {
  /** Seconds per measured load run (BENCH_DURATION; default 10, quick 3). */
  durationS: number;
  /** Concurrent keep-alive connections (BENCH_CONNECTIONS; default 50). */
  connections: number;
  /** wrk threads (BENCH_THREADS; default 1: on 2 cores the target gets the other one). */
  threads: number;
  /** Unmeasured warm-up load per server before the measured rounds (BENCH_WARMUP; default 2 s, quick 1 s). */
  warmupS: number;
  /** Interleaved rounds per variant; the report gives medians (BENCH_ROUNDS; default 3). */
  rounds: number;
  /** BENCH_QUICK=1. */
  quick: boolean;
  /** wrk when on PATH, else autocannon; BENCH_LOADGEN=wrk|autocannon forces one. */
  generator: LoadGenerator;
  repoRoot: string;
  /** Where result JSON files go (.bench/, git-ignored). */
  outDir: string;
}

function positiveNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    return fallback;
  }
  // Accept "10" and "10s" for durations.
  const value = Number(raw.trim().replace(/s$/, ''));
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function detectLoadGenerator(env: NodeJS.ProcessEnv = process.env): LoadGenerator {
  const forced = env.BENCH_LOADGEN?.trim();
  if (forced === 'wrk' || forced === 'autocannon') {
    if (forced === 'wrk' && !hasCommand('wrk')) {
      throw new Error('BENCH_LOADGEN=wrk but wrk is not on PATH (apt-get install wrk)');
    }
    return forced;
  }
  if (forced) {
    throw new Error(`BENCH_LOADGEN must be wrk or autocannon, got ${JSON.stringify(forced)}`);
  }
  return hasCommand('wrk') ? 'wrk' : 'autocannon';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const repoRoot = resolve(__dirname, '..', '..');
  return {
    durationS: positiveNumber(env, 'BENCH_DURATION', quick ? 3 : 10),
    connections: Math.round(positiveNumber(env, 'BENCH_CONNECTIONS', 50)),
    threads: Math.round(positiveNumber(env, 'BENCH_THREADS', 1)),
    warmupS: positiveNumber(env, 'BENCH_WARMUP', quick ? 1 : 2),
    rounds: Math.round(positiveNumber(env, 'BENCH_ROUNDS', 3)),
    quick,
    generator: detectLoadGenerator(env),
    repoRoot,
    outDir: resolve(repoRoot, '.bench'),
  };
}
