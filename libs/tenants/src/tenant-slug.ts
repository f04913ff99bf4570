import { registerDecorator, ValidationOptions } from 'class-validator';
import { DISPLAY_TEXT_MESSAGE, isDisplayText } from '@app/service-core';

/**
 * Names a tenant can never have: they are, or may become, platform host names (`<slug>.<domain>`) or paths.
 */
export const RESERVED_TENANT_SLUGS: ReadonlySet<string> = new Set([
  'api', 'admin', 'auth', 'www', 'logto', 'traefik', 'app', 'login', 'console', 'status', 'docs', 'mail', 'static',
  'assets', 'cdn', 'clickhouse', 'postgres', 'cameleer',
]);

const TENANT_SLUG_MIN_LENGTH = 3;
const TENANT_SLUG_MAX_LENGTH = 63;

/**
 * Why `value` is not a valid tenant slug (one DNS label: lowercase letters, digits and hyphens, 3–63 characters,
 * no leading or trailing hyphen, not reserved), or undefined when it is.
 */
export function tenantSlugProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return 'slug must be a string';
  }
  if (value.length < TENANT_SLUG_MIN_LENGTH || value.length > TENANT_SLUG_MAX_LENGTH) {
    return `slug must be ${TENANT_SLUG_MIN_LENGTH} to ${TENANT_SLUG_MAX_LENGTH} characters long`;
  }
  if (/[A-Z]/.test(value)) {
    return 'slug must be lowercase';
  }
  if (!/^[a-z0-9-]+$/.test(value)) {
    return 'slug may contain only lowercase letters, digits and hyphens';
  }
  if (value.startsWith('-') || value.endsWith('-')) {
    return 'slug must not start or end with a hyphen';
  }
  // `xn--…` and any `??--` label are reserved for internationalized domain names (RFC 5891 §4.2.3.1).
  if (value.slice(2, 4) === '--') {
    return 'slug must not have hyphens in its third and fourth characters';
  }
  if (RESERVED_TENANT_SLUGS.has(value)) {
    return `slug "${value}" is reserved`;
  }
  return undefined;
}

/** class-validator: a valid tenant slug, with a message naming what is wrong. */
export function IsTenantSlug(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isTenantSlug',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => tenantSlugProblem(value) === undefined,
        defaultMessage: (args) => tenantSlugProblem(args?.value) ?? 'slug is invalid',
      },
    });
  };
}

const TENANT_NAME_MAX_LENGTH = 128;

/** Why `value` (already trimmed) is not a valid tenant name, or undefined. */
export function tenantNameProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') {
    return 'name must be a string';
  }
  if (value.length < 1 || value.length > TENANT_NAME_MAX_LENGTH) {
    return `name must be 1 to ${TENANT_NAME_MAX_LENGTH} characters long (after trimming)`;
  }
  if (!isDisplayText(value)) {
    return `name ${DISPLAY_TEXT_MESSAGE}`;
  }
  return undefined;
}

export function IsTenantName(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isTenantName',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => tenantNameProblem(value) === undefined,
        defaultMessage: (args) => tenantNameProblem(args?.value) ?? 'name is invalid',
      },
    });
  };
}

/** A Logto user id as the API accepts it (an owner in POST /api/tenants, DEFAULT_TENANT_OWNER). */
export const LOGTO_USER_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
