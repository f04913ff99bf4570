// Runs one autocannon load in its own process (so it never shares an event loop with a target) and prints a
// single JSON line with the figures the harness needs. Input: one JSON argument, see runAutocannon() in load.ts.
'use strict';
const autocannon = require('autocannon');

const opts = JSON.parse(process.argv[2]);

// headerFromFile: each request takes the next line of the file as one header, wrapping after the last line.
const cycle = opts.headerFromFile;
let cycled;
let requests;
if (cycle) {
  const values = require('node:fs')
    .readFileSync(cycle.file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (cycle.prefix || '') + line);
  cycled = { used: 0, available: values.length };
  requests = [
    {
      setupRequest(req) {
        const value = values[cycled.used % values.length];
        cycled.used++;
        return { ...req, headers: { ...req.headers, [cycle.name]: value } };
      },
    },
  ];
}

autocannon(
  {
    requests,
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
    if (cycled) {
      cycled.reused = Math.max(0, cycled.used - cycled.available);
      process.stdout.write('BENCH_CYCLE ' + JSON.stringify(cycled) + '\n');
    }
  },
);
