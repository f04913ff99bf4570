import { LogtoNotConfiguredError, LogtoResponseError, LogtoUnavailableError } from '@app/logto-client';
import { MembersError } from './members.errors';

/** Retry-After for LOGTO_UNAVAILABLE (seconds), as the tenants lib answers. */
const RETRY_AFTER_SECONDS = '10';

/**
 * Logto's failures as this API answers them: unconfigured or unreachable → 503 (nothing was changed here), a refusal
 * we did not foresee → 409 LOGTO_REFUSED with Logto's status and code. Anything else passes through.
 */
export function asMembersError(error: unknown): unknown {
  if (error instanceof LogtoNotConfiguredError) {
    return new MembersError('LOGTO_NOT_CONFIGURED', 'Logto is not configured here (LOGTO_ENDPOINT, LOGTO_M2M_APP_ID, LOGTO_M2M_APP_SECRET).', { cause: error });
  }
  if (error instanceof LogtoUnavailableError) {
    return new MembersError('LOGTO_UNAVAILABLE', 'Logto is unavailable; nothing was changed. Retry later.', { headers: { 'retry-after': RETRY_AFTER_SECONDS }, cause: error });
  }
  if (error instanceof LogtoResponseError) {
    return new MembersError('LOGTO_REFUSED', `Logto refused the change (${error.status}${error.code === undefined ? '' : ` ${error.code}`}).`, { cause: error });
  }
  return error;
}

/** Runs a Logto call, answering its failures as asMembersError does. */
export async function viaLogto<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw asMembersError(error);
  }
}
