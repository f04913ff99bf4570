// Runs one autocannon load in its own process (so it never shares an event loop with a target) and prints a
// single JSON line with the figures the harness needs. Input: one JSON argument, see runAutocannon() in load.ts.
'use strict';
const autocannon = require('autocannon');

const opts = JSON.parse(process.argv[2]);
autocannon(
  {
    url: opts.url,
    method: opts.method || 'GET',
    headers: opts.headers || {},
    body: opts.body,
    connections: opts.connections,
    duration: opts.durationS,
    timeout: opts.timeoutS || 10,
    workers: opts.workers || undefined,
  },
  (err, result) => {
    if (err) {
      process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
      process.exit(1);
    }
    const out = {
      requests: result.requests.total,
      durationMs: result.duration * 1000,
      requestsPerSec: result.duration > 0 ? result.requests.total / result.duration : NaN,
      latency: {
        avg: result.latency.average,
        max: result.latency.max,
        p50: result.latency.p50,
        p90: result.latency.p90,
        p99: result.latency.p99,
        p999: result.latency.p99_9,
      },
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
    };
    process.stdout.write('BENCH_JSON ' + JSON.stringify(out) + '\n');
  },
);
