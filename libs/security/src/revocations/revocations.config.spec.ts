import { ConfigValidationError, loadConfig } from '@app/service-core';
import { revocationsConfigSchema } from './revocations.config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(revocationsConfigSchema, env);
    return [];
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      return [...error.problems];
    }
    throw error;
  }
}

describe('revocations configuration', () => {
  it('keeps revocations a day and assumes 2 s of clock skew by default', () => {
    expect(loadConfig(revocationsConfigSchema, {})).toEqual({ retentionSeconds: 86_400, clockSkewSeconds: 2 });
    expect(loadConfig(revocationsConfigSchema, { REVOCATION_RETENTION_SECONDS: '7200', REVOCATION_CLOCK_SKEW_SECONDS: '0' })).toEqual({ retentionSeconds: 7_200, clockSkewSeconds: 0 });
  });

  it('refuses a retention shorter than Logto’s default token TTL (an hour), an absurd one, and a skew that is not small', () => {
    expect(problemsOf({ REVOCATION_RETENTION_SECONDS: '3599' })).toEqual([expect.stringMatching(/^REVOCATION_RETENTION_SECONDS/)]);
    expect(problemsOf({ REVOCATION_RETENTION_SECONDS: String(31 * 86_400) })).toEqual([expect.stringMatching(/^REVOCATION_RETENTION_SECONDS/)]);
    expect(problemsOf({ REVOCATION_RETENTION_SECONDS: 'a day' })).toContainEqual('REVOCATION_RETENTION_SECONDS: REVOCATION_RETENTION_SECONDS must be an integer number');
    expect(problemsOf({ REVOCATION_CLOCK_SKEW_SECONDS: '31' })).toEqual([expect.stringMatching(/^REVOCATION_CLOCK_SKEW_SECONDS/)]);
    expect(problemsOf({ REVOCATION_CLOCK_SKEW_SECONDS: '-1' })).toEqual([expect.stringMatching(/^REVOCATION_CLOCK_SKEW_SECONDS/)]);
  });
});
