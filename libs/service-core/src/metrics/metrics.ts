import { Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

type Labels = Readonly<Record<string, string>>;

/** Latency buckets (seconds) for HTTP requests and calls to other services. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const logger = new Logger('Metrics');

/**
 * This process's Prometheus metrics, one registry per app (so two apps in one process, as in tests, do not mix).
 * Each lib declares its own series here. Label values are fixed sets or route templates, never raw user input.
 * Served on METRICS_PORT only (MetricsServer); `cameleer_` is every name's prefix.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  /**
   * A counter whose series are known up front, incremented as plain numbers (`tally.allow++`): no label hashing and
   * no allocation where it is counted, so the forward-auth hot path can afford it. prom-client reads the numbers at
   * scrape time.
   */
  tally<K extends string>(name: string, help: string, series: Readonly<Record<K, Labels>>): Record<K, number> {
    const keys = Object.keys(series) as K[];
    const counts = Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
    const labelNames = [...new Set(keys.flatMap((key) => Object.keys(series[key])))];
    new Counter({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const key of keys) {
          this.inc(series[key], counts[key]);
        }
      },
    });
    return counts;
  }

  /** A latency histogram in seconds. */
  histogram<L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets: LATENCY_BUCKETS, registers: [this.registry] });
  }

  /**
   * A gauge computed at scrape time by `read` (e.g. a count from the database). A failing read is logged and the
   * gauge dropped from that scrape, so one broken source never fails the whole scrape.
   */
  gauge(name: string, help: string, labelNames: readonly string[], read: () => Promise<readonly (readonly [Labels, number])[]> | readonly (readonly [Labels, number])[]): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      async collect() {
        this.reset();
        try {
          for (const [labels, value] of await read()) {
            this.set(labels, value);
          }
        } catch (error) {
          logger.warn(`${name}: could not be read: ${String(error)}`);
        }
      },
    });
  }

  /** The exposition text (Prometheus text format 0.0.4). */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
