import { retryOptimistically, STALE } from './optimistic-retry';

describe('retryOptimistically', () => {
  const exhausted = () => new Error('still changing');

  it('returns the first result that is not STALE, running the attempt again on a fresh read', async () => {
    const outcomes: (string | typeof STALE)[] = [STALE, STALE, 'written'];
    let runs = 0;
    await expect(retryOptimistically(() => Promise.resolve(outcomes[runs++]!), exhausted)).resolves.toBe('written');
    expect(runs).toBe(3);
  });

  it('throws what `exhausted` gives once every attempt was stale, after exactly `attempts` runs', async () => {
    let runs = 0;
    await expect(
      retryOptimistically(
        () => {
          runs++;
          return Promise.resolve(STALE);
        },
        exhausted,
        4,
      ),
    ).rejects.toThrow('still changing');
    expect(runs).toBe(4);
  });

  it('lets an attempt refuse by throwing, without retrying', async () => {
    let runs = 0;
    await expect(
      retryOptimistically(() => {
        runs++;
        return Promise.reject(new Error('precondition failed'));
      }, exhausted),
    ).rejects.toThrow('precondition failed');
    expect(runs).toBe(1);
  });
});
