import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { luaString, wrkScript } from './load';
import {
  describeSamples,
  formatNumber,
  formatRatio,
  mean,
  median,
  parseWrkDuration,
  parseWrkOutput,
  percentile,
  ratio,
  relativeSpread,
} from './stats';

// Real wrk 4.1.0 outputs captured on this machine (see bench/lib/fixtures/).
const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', name), 'utf8');

describe('median', () => {
  it('takes the middle of an odd count regardless of order', () => {
    expect(median([5, 1, 3])).toBe(3);
  });
  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });
  it('rejects an empty list', () => {
    expect(() => median([])).toThrow('empty');
  });
});

describe('percentile', () => {
  const xs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  it('matches the median at 50 and the extremes at 0 and 100', () => {
    expect(percentile(xs, 50)).toBe(median(xs));
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(10);
  });
  it('interpolates linearly between ranks (numpy default)', () => {
    expect(percentile(xs, 90)).toBeCloseTo(9.1, 10);
    expect(percentile([10, 20], 25)).toBe(12.5);
  });
  it('handles a single sample and rejects bad input', () => {
    expect(percentile([7], 99)).toBe(7);
    expect(() => percentile([], 50)).toThrow('empty');
    expect(() => percentile(xs, 101)).toThrow(RangeError);
    expect(() => percentile(xs, Number.NaN)).toThrow(RangeError);
  });
});

describe('mean and spread', () => {
  it('computes the mean', () => {
    expect(mean([1, 2, 3, 6])).toBe(3);
  });
  it('gives (max - min) / median', () => {
    expect(relativeSpread([90, 100, 110])).toBeCloseTo(0.2, 10);
    expect(describeSamples([90, 100, 110])).toBe('median of 3, spread 20%');
    expect(describeSamples([5])).toBe('median of 1');
  });
});

describe('ratio and formatting', () => {
  it('divides target by baseline', () => {
    expect(ratio(25, 100)).toBe(0.25);
  });
  it('is NaN for a zero or non-finite side, printed as n/a', () => {
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(Number.NaN, 1)).toBeNaN();
    expect(formatRatio(ratio(1, 0))).toBe('n/a');
  });
  it('prints two decimals below 10x and one above', () => {
    expect(formatRatio(0.2345)).toBe('0.23x');
    expect(formatRatio(1)).toBe('1.00x');
    expect(formatRatio(12.345)).toBe('12.3x');
  });
  it('formats numbers for the table', () => {
    expect(formatNumber(12345.6)).toBe('12,346');
    expect(formatNumber(1.2345)).toBe('1.23');
    expect(formatNumber(123.45)).toBe('123.5');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(Number.NaN)).toBe('n/a');
  });
});

describe('parseWrkDuration', () => {
  it('converts every wrk unit to milliseconds', () => {
    expect(parseWrkDuration('510.00us')).toBeCloseTo(0.51, 10);
    expect(parseWrkDuration('1.33ms')).toBe(1.33);
    expect(parseWrkDuration('2.10s')).toBe(2100);
    expect(parseWrkDuration('1.50m')).toBe(90_000);
  });
  it('rejects anything else', () => {
    expect(() => parseWrkDuration('12 parsecs')).toThrow('not a wrk duration');
  });
});

describe('parseWrkOutput', () => {
  it('reads throughput, latency distribution and counts from a --latency run', () => {
    const r = parseWrkOutput(fixture('wrk-latency-ok.txt'));
    expect(r.fromLuaHook).toBe(false);
    expect(r.requestsPerSec).toBe(22201.4);
    expect(r.requests).toBe(44452);
    expect(r.durationMs).toBe(2000);
    expect(r.latencyAvgMs).toBe(1.33);
    expect(r.latencyMaxMs).toBe(60.31);
    expect(r.latencyPercentilesMs).toEqual({ 50: 0.732, 75: 1.09, 90: 2.11, 99: 10.76 });
    expect(r.socketErrors).toEqual({ connect: 0, read: 0, write: 0, timeout: 0 });
    expect(r.non2xx).toBe(0);
  });

  it('reads percentiles printed in microseconds and the non-2xx line', () => {
    const r = parseWrkOutput(fixture('wrk-latency-non2xx.txt'));
    expect(r.latencyPercentilesMs[50]).toBeCloseTo(0.445, 10);
    expect(r.latencyPercentilesMs[99]).toBe(3.32);
    expect(r.latencyAvgMs).toBeCloseTo(0.62089, 10);
    expect(r.durationMs).toBe(1100);
    expect(r.non2xx).toBe(20326);
    expect(r.requests).toBe(20326);
  });

  it('reads the socket errors line', () => {
    const r = parseWrkOutput(fixture('wrk-latency-socket-errors.txt'));
    expect(r.socketErrors).toEqual({ connect: 0, read: 584, write: 0, timeout: 0 });
    expect(r.requestsPerSec).toBe(14289.02);
  });

  it('prefers the exact figures of the harness Lua done hook', () => {
    const r = parseWrkOutput(fixture('wrk-lua-hook-non2xx.txt'));
    expect(r.fromLuaHook).toBe(true);
    expect(r.requests).toBe(9929);
    expect(r.durationMs).toBeCloseTo(1008.249, 6);
    expect(r.requestsPerSec).toBeCloseTo(9929 / 1.008249, 6);
    expect(r.latencyPercentilesMs).toEqual({ 50: 0.739, 75: 1.38, 90: 3.085, 99: 6.958, 99.9: 10.622 });
    expect(r.latencyMaxMs).toBe(12.091);
    expect(r.non2xx).toBe(9929);
  });

  it('fails loudly on output that is not a finished wrk run', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n')).toThrow(
      'unable to connect to 127.0.0.1:1 Connection refused',
    );
  });
});

describe('wrk script', () => {
  it('escapes quotes and backslashes as Lua decimal escapes', () => {
    expect(luaString('a"b\\c')).toBe('"a\\34b\\92c"');
    expect(luaString('é')).toBe('"\\195\\169"');
  });
  it('sets method, headers and body and installs the done hook', () => {
    const script = wrkScript({ method: 'POST', headers: { authorization: 'Bearer x' }, body: '{}' });
    expect(script).toContain('wrk.method = "POST"');
    expect(script).toContain('wrk.headers["authorization"] = "Bearer x"');
    expect(script).toContain('wrk.body = "{}"');
    expect(script).toContain('done = function(summary, latency, requests)');
  });
});
