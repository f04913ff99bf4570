/** Logto's Management API error: answered as `{ code, message, data? }` with `status`. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }

  toBody(): { code: string; message: string; data?: unknown } {
    return { code: this.code, message: this.message, ...(this.data === undefined ? {} : { data: this.data }) };
  }
}

// Logto picks the 404 code by operation (core SchemaQueries / slonik error handler); mirror that exactly.

export const notExistsWithId = (entity: string, id: string): RequestError =>
  new RequestError(404, 'entity.not_exists_with_id', `The ${entity} with ID \`${id}\` does not exist.`, { name: entity, id });

export const notExists = (entity: string): RequestError =>
  new RequestError(404, 'entity.not_exists', `The ${entity} does not exist.`, { name: entity });

export const notFound = (): RequestError => new RequestError(404, 'entity.not_found', 'The resource does not exist.');

export const foreignKeyNotFound = (): RequestError =>
  new RequestError(
    422,
    'entity.relation_foreign_key_not_found',
    'Cannot find one or more foreign keys. Please check the input and ensure that all referenced entities exist.',
  );

/** A CHECK constraint of Logto's schema failed (e.g. a role or application of the wrong type in a relation). */
export const dbConstraintViolated = (): RequestError =>
  new RequestError(422, 'entity.db_constraint_violated', 'Database constraint violated.');

export const uniqueViolation = (): RequestError =>
  new RequestError(422, 'entity.unique_integrity_violation', 'The entity already exists. Please check the input and try again.');

export const requireMembership = (): RequestError =>
  new RequestError(422, 'organization.require_membership', 'The user must be a member of the organization to proceed.');

export const invalidInput = (details: string): RequestError =>
  new RequestError(400, 'guard.invalid_input', 'The request body is invalid.', details);
