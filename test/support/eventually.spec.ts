import { eventually } from './eventually';

describe('eventually', () => {
  it('retries the probe until it passes and resolves to what it returned', async () => {
    let calls = 0;
    const result = await eventually(
      () => {
        calls += 1;
        expect(calls).toBe(3);
        return 'done';
      },
      { within: 10_000, every: 1 },
    );
    expect(result).toBe('done');
    expect(calls).toBe(3);
  });

  it('fails past the deadline with the last observed value', async () => {
    let observed = 0;
    const failure = eventually(
      () => {
        observed += 1;
        expect(`status ${observed}`).toBe('status 0');
      },
      { within: 30, every: 5 },
    );
    await expect(failure).rejects.toThrow(/still failing after 30 ms/);
    await expect(failure).rejects.toThrow(new RegExp(`Received: "status ${observed}"`));
  });

  it('tries at least once even with a deadline of zero', async () => {
    await expect(eventually(() => 'now', { within: 0 })).resolves.toBe('now');
  });
});
