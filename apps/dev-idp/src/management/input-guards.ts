import { invalidInput } from './request-error';

/** Minimal request-body checks standing in for Logto's zod guards; failures are 400 `guard.invalid_input`. */
export type Body = Record<string, unknown>;

export function requireBody(body: unknown): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidInput('Expected a JSON object body');
  }
  return body as Body;
}

export function requiredString(body: Body, key: string, maxLength = 256): string {
  const value = body[key];
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw invalidInput(`"${key}" must be a string of 1 to ${maxLength} characters`);
  }
  return value;
}

export function optionalString(body: Body, key: string, maxLength = 256): string | null | undefined {
  const value = body[key];
  if (value === undefined || value === null) {
    return value;
  }
  if (typeof value !== 'string' || value.length > maxLength) {
    throw invalidInput(`"${key}" must be a string of at most ${maxLength} characters`);
  }
  return value;
}

export function optionalBoolean(body: Body, key: string): boolean | undefined {
  const value = body[key];
  if (value !== undefined && typeof value !== 'boolean') {
    throw invalidInput(`"${key}" must be a boolean`);
  }
  return value;
}

export function optionalObject(body: Body, key: string): Record<string, unknown> | undefined {
  const value = body[key];
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidInput(`"${key}" must be an object`);
  }
  return value as Record<string, unknown>;
}

export function stringArray(body: Body, key: string, { required = true, nonEmpty = true } = {}): string[] {
  const value = body[key];
  if (value === undefined && !required) {
    return [];
  }
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
    throw invalidInput(`"${key}" must be an array of non-empty strings`);
  }
  if (nonEmpty && value.length === 0) {
    throw invalidInput(`"${key}" must not be empty`);
  }
  return [...new Set(value as string[])];
}
