import { isPermanentLogtoFailure, LogtoConflictError, LogtoNotConfiguredError, LogtoNotFoundError, LogtoRequestError, LogtoUnavailableError } from './logto.errors';

const answered = (status: number) => ({ method: 'POST', path: '/api/organizations', status, body: { code: 'some.code', message: 'refused' } });

describe('isPermanentLogtoFailure', () => {
  it.each([400, 404, 409, 413, 422])('a %i answer is permanent (the same request cannot succeed)', (status) => {
    const error = status === 404 ? new LogtoNotFoundError(answered(status)) : status === 422 ? new LogtoConflictError(answered(status)) : new LogtoRequestError(answered(status));
    expect(isPermanentLogtoFailure(error)).toBe(true);
  });

  it.each([401, 403, 408, 429])('a %i answer is retried with backoff (credentials, or Logto asks to come back later)', (status) => {
    expect(isPermanentLogtoFailure(new LogtoRequestError(answered(status)))).toBe(false);
  });

  it('unavailability, missing configuration and foreign errors are not permanent', () => {
    const unavailable = new LogtoUnavailableError({ reason: 'timeout', method: 'POST', path: '/api/organizations', attempts: 1, ambiguous: true });
    expect(isPermanentLogtoFailure(unavailable)).toBe(false);
    expect(isPermanentLogtoFailure(new LogtoNotConfiguredError(['LOGTO_ENDPOINT']))).toBe(false);
    expect(isPermanentLogtoFailure(new Error('boom'))).toBe(false);
    expect(isPermanentLogtoFailure(undefined)).toBe(false);
  });
});
