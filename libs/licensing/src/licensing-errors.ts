import { CodedError, ErrorCatalog } from '@app/service-core';

/** What the licensing lib answers when it refuses (a missing or inactive tenant is the tenants lib's answer). */
export const LICENSING_ERRORS = {
  VALIDATION_FAILED: { status: 400, title: 'The request is invalid; see errors for each field' },
  NO_CURRENT_LICENSE: { status: 404, title: 'The tenant has no usable license' },
  LICENSE_NO_LONGER_USABLE: { status: 409, title: 'The license issued under this Idempotency-Key is no longer usable' },
} as const satisfies ErrorCatalog<string>;

export type LicensingErrorCode = keyof typeof LICENSING_ERRORS;

export class LicensingError extends CodedError<LicensingErrorCode> {
  readonly catalog = LICENSING_ERRORS;
}
