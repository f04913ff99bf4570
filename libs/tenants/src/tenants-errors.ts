import { CodedError, ErrorCatalog } from '@app/service-core';

/**
 * What the tenants lib answers when it refuses. NOT_FOUND keeps the generic code the security guard answers for
 * a tenant the caller may not see, so a missing tenant and a hidden one carry the same code.
 */
export const TENANTS_ERRORS = {
  NOT_FOUND: { status: 404, title: 'No such tenant' },
  TENANT_NOT_ACTIVE: { status: 409, title: 'The tenant is not ACTIVE' },
  TENANT_DELETED: { status: 409, title: 'A deleted tenant cannot be changed' },
  SLUG_TAKEN: { status: 409, title: 'The slug is taken, also by a deleted tenant (slugs are never reused)' },
  INVALID_STATUS_TRANSITION: { status: 409, title: 'Only ACTIVE ↔ SUSPENDED may be set' },
  CONFLICT: { status: 409, title: 'The tenant is being changed concurrently; retry' },
  TENANT_NOT_DELETED: { status: 409, title: 'Only a deleted tenant can be restored' },
  RETENTION_EXPIRED: { status: 409, title: 'The retention window is over: the tenant is being purged and cannot be restored' },
  TENANT_PURGED: { status: 410, title: 'The tenant was purged; its slug stays taken and its audit trail kept' },
  PRECONDITION_FAILED: { status: 412, title: 'If-Match does not match the current version' },
  OWNER_NOT_FOUND: { status: 422, title: 'The owner is not a Logto user' },
  LOGTO_NOT_CONFIGURED: { status: 503, title: 'Logto is not configured' },
  LOGTO_UNAVAILABLE: { status: 503, title: 'Logto is unavailable; retry later' },
} as const satisfies ErrorCatalog<string>;

export type TenantsErrorCode = keyof typeof TENANTS_ERRORS;

export class TenantsError extends CodedError<TenantsErrorCode> {
  readonly catalog = TENANTS_ERRORS;
}

export function tenantNotFound(): TenantsError {
  return new TenantsError('NOT_FOUND', 'No such tenant.');
}
