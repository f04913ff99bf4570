import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { formatNumber, formatRatio } from './stats';

/** One line of the report. `ratio` is always value / baseline; `better` says which direction is good. */
export interface ResultRow {
  suite: string;
  metric: string;
  unit: string;
  value: number;
  baseline?: number;
  baselineName?: string;
  ratio?: number;
  better?: 'higher' | 'lower';
  /** The individual measurements the value is the median of. */
  samples?: number[];
  baselineSamples?: number[];
  note?: string;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  totalMemGiB: number;
  node: string;
  platform: string;
  loadGenerator: string;
  loadavg: number[];
}

export function machineInfo(loadGenerator: string): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    totalMemGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadGenerator,
    loadavg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function formatMachineLine(m: MachineInfo): string {
  return `machine: ${m.cpuModel} | ${m.cores} cores | ${m.totalMemGiB} GiB | node ${m.node} | ${m.platform} | load generator: ${m.loadGenerator} | loadavg ${m.loadavg.join(' ')}`;
}

function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined) {
    return '';
  }
  return unit === '' ? formatNumber(value) : `${formatNumber(value)} ${unit}`;
}

/** A plain fixed-width text table of the rows, grouped by suite in the order given. */
export function renderTable(rows: readonly ResultRow[]): string {
  const header = ['suite', 'metric', 'value', 'baseline', 'ratio', 'note'];
  const body = rows.map((r) => {
    const ratioText = r.ratio === undefined ? '' : `${formatRatio(r.ratio)}${r.better ? ` (${r.better} is better)` : ''}`;
    const baselineText = r.baseline === undefined ? '' : `${formatValue(r.baseline, r.unit)}${r.baselineName ? ` [${r.baselineName}]` : ''}`;
    return [r.suite, r.metric, formatValue(r.value, r.unit), baselineText, ratioText, r.note ?? ''];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => (cells[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 2 || i === 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line)].join('\n');
}

export interface ResultsFile {
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  config: Record<string, unknown>;
  suites: Array<{ name: string; ok: boolean; error?: string; durationMs: number }>;
  rows: ResultRow[];
}

/** Writes .bench/results-<timestamp>.json and returns its path. */
export function writeResults(outDir: string, results: ResultsFile): string {
  mkdirSync(outDir, { recursive: true });
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  const file = join(outDir, `results-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(results, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  return file;
}
