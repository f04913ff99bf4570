/**
 * Entry of `npm run bench [-- <suite> ...]`: runs every bench/suites/*.ts (or the named ones), prints a table to
 * stdout (progress goes to stderr) and writes .bench/results-<timestamp>.json. See bench/README.md.
 */
import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadConfig } from './lib/config';
import { killAllChildren } from './lib/processes';
import { formatMachineLine, machineInfo, renderTable, writeResults, type ResultRow, type ResultsFile } from './lib/report';
import type { BenchSuite } from './lib/suite';

interface SuiteFile {
  file: string;
  suite: BenchSuite;
}

function loadSuites(dir: string): SuiteFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts') && !f.endsWith('.d.ts'))
    .sort()
    .map((f) => {
      const file = join(dir, f);
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = require(file) as { default?: BenchSuite; suite?: BenchSuite };
      const suite = mod.default ?? mod.suite;
      if (!suite || typeof suite.run !== 'function') {
        throw new Error(`${file} must default-export defineSuite({...})`);
      }
      return { file, suite: { ...suite, name: suite.name || basename(f, '.ts') } };
    });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const log = (message: string): void => {
    process.stderr.write(`[bench] ${message}\n`);
  };
  const all = loadSuites(join(__dirname, 'suites'));
  if (args.includes('--list') || args.includes('-l')) {
    for (const { suite, file } of all) {
      process.stdout.write(`${suite.name.padEnd(20)} ${suite.description}  (${basename(file)})\n`);
    }
    return 0;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write('usage: npm run bench [-- <suite> ...] [--list]\nsee bench/README.md for BENCH_* variables\n');
    return 0;
  }
  const names = args.filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !all.some(({ suite, file }) => suite.name === n || basename(file, '.ts') === n));
  if (unknown.length > 0) {
    log(`unknown suite(s): ${unknown.join(', ')}; available: ${all.map((s) => s.suite.name).join(', ')}`);
    return 2;
  }
  const selected = names.length === 0 ? all : all.filter(({ suite, file }) => names.includes(suite.name) || names.includes(basename(file, '.ts')));

  const config = loadConfig();
  const machine = machineInfo(config.generator);
  const startedAt = new Date().toISOString();
  log(formatMachineLine(machine));
  log(
    `duration ${config.durationS} s, ${config.connections} connections, ${config.threads} wrk thread(s), ` +
      `warm-up ${config.warmupS} s, ${config.rounds} rounds${config.quick ? ' (quick)' : ''}`,
  );

  const rows: ResultRow[] = [];
  const suiteRuns: ResultsFile['suites'] = [];
  for (const { suite } of selected) {
    log(`=== ${suite.name}: ${suite.description}`);
    const started = performance.now();
    try {
      await suite.run({
        config,
        log: (m) => log(`${suite.name}: ${m}`),
        record: (row) => rows.push({ ...row, suite: row.suite ?? suite.name }),
      });
      suiteRuns.push({ name: suite.name, ok: true, durationMs: Math.round(performance.now() - started) });
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      log(`${suite.name} FAILED: ${message}`);
      suiteRuns.push({ name: suite.name, ok: false, error: message, durationMs: Math.round(performance.now() - started) });
      killAllChildren();
    }
  }

  const results: ResultsFile = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    config: { ...config },
    suites: suiteRuns,
    rows,
  };
  const file = writeResults(config.outDir, results);
  const busy = machine.loadavg[0] !== undefined && machine.loadavg[0] > machine.cores * 0.5;
  const busyNote = busy
    ? `note: loadavg ${machine.loadavg[0]} on ${machine.cores} cores at start: other work shares the CPU, absolute figures are noisy; compare ratios\n`
    : '';
  process.stdout.write(`\n${formatMachineLine(machine)}\n${busyNote}\n${renderTable(rows)}\n\n`);
  for (const s of suiteRuns.filter((r) => !r.ok)) {
    process.stdout.write(`FAILED ${s.name}: ${(s.error ?? '').split('\n')[0]}\n`);
  }
  process.stdout.write(`results: ${file}\n`);
  return suiteRuns.every((s) => s.ok) ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killAllChildren();
    process.exitCode = 1;
  },
);
