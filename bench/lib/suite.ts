import type { BenchConfig } from './config';
import type { ResultRow } from './report';

export interface BenchContext {
  config: BenchConfig;
  /** Progress line on stderr (stdout is kept for the final table). */
  log(message: string): void;
  /** Adds a row to the report; `suite` is filled in from the running suite. */
  record(row: Omit<ResultRow, 'suite'> & { suite?: string }): void;
}

/** A file in bench/suites/ default-exports one of these (see defineSuite). */
export interface BenchSuite {
  /** Name used by `npm run bench -- <name>`; defaults to the file name. */
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<void>;
}

/** Identity helper for type checking: `export default defineSuite({ name, description, async run(ctx) {...} })`. */
export function defineSuite(suite: BenchSuite): BenchSuite {
  return suite;
}
