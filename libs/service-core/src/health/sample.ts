/**
 * The last result of an expensive computation, reused for `maxAgeMs` after it settled; callers that ask
 * while it runs share the one in flight. A failure is a result too: it is reused the same way.
 */
export class Sample<T> {
  private inFlight?: Promise<T>;
  private settled?: { readonly at: number; readonly result: Promise<T> };

  constructor(
    private readonly compute: () => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(): Promise<T> {
    if (this.inFlight !== undefined) {
      return this.inFlight;
    }
    if (this.settled !== undefined && this.now() - this.settled.at < this.maxAgeMs) {
      return this.settled.result;
    }
    const result = this.compute();
    this.inFlight = result;
    const settle = (): void => {
      this.settled = { at: this.now(), result };
      this.inFlight = undefined;
    };
    result.then(settle, settle);
    return result;
  }
}
