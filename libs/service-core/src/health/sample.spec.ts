import { Sample } from './sample';

describe('Sample: one computation per interval, shared while in flight', () => {
  let now = 0;
  const clock = () => now;

  beforeEach(() => {
    now = 0;
  });

  it('shares the computation in flight and reuses its result until it is maxAgeMs old', async () => {
    let calls = 0;
    let finish: (value: number) => void = () => undefined;
    const sample = new Sample(() => {
      calls += 1;
      return new Promise<number>((resolve) => (finish = resolve));
    }, 1000, clock);

    const concurrent = [sample.get(), sample.get(), sample.get()];
    now = 5000; // However long the computation takes, callers during it share it.
    finish(1);
    expect(await Promise.all(concurrent)).toEqual([1, 1, 1]);
    expect(calls).toBe(1);

    now = 5999;
    expect(await sample.get()).toBe(1);
    expect(calls).toBe(1);

    now = 6000;
    const next = sample.get();
    finish(2);
    expect(await next).toBe(2);
    expect(calls).toBe(2);
  });

  it('reuses a failure the same way (an outage is not probed on every call)', async () => {
    let calls = 0;
    const sample = new Sample(() => {
      calls += 1;
      return Promise.reject(new Error(`down ${calls}`));
    }, 1000, clock);
    await expect(sample.get()).rejects.toThrow('down 1');
    now = 999;
    await expect(sample.get()).rejects.toThrow('down 1');
    now = 1000;
    await expect(sample.get()).rejects.toThrow('down 2');
  });
});
