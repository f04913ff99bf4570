import { stdSerializers } from 'pino';
import { QueryFailedError } from 'typeorm';
import { withoutStatementValues } from './redaction';

/** A pg DatabaseError as the driver raises it: PostgreSQL quotes the offending value in `detail` and `where`. */
function postgresError(): Error {
  return Object.assign(new Error('duplicate key value violates unique constraint "tenants_slug_key"'), {
    severity: 'ERROR',
    code: '23505',
    detail: 'Key (slug)=(secret-slug) already exists.',
    where: "unnamed portal parameter $1 = 'secret-slug'",
    constraint: 'tenants_slug_key',
  });
}

describe('error serialization never logs the values of a failed statement', () => {
  it('drops the parameters of a QueryFailedError and the quoted values of its driver error', () => {
    const error = new QueryFailedError('INSERT INTO tenants (slug, owner) VALUES ($1, $2)', ['secret-slug', 'hunter2'], postgresError());
    const logged = JSON.stringify(withoutStatementValues(stdSerializers.err(error)));
    expect(logged).not.toContain('secret-slug');
    expect(logged).not.toContain('hunter2');
    // What helps a developer stays: the statement, the SQLSTATE, the constraint and the stack.
    expect(logged).toContain('INSERT INTO tenants (slug, owner) VALUES ($1, $2)');
    expect(logged).toContain('23505');
    expect(logged).toContain('tenants_slug_key');
    expect(logged).toContain('QueryFailedError');
  });

  it('drops them from a pg error logged directly, and from one wrapped as a cause', () => {
    const direct = JSON.stringify(withoutStatementValues(stdSerializers.err(postgresError())));
    expect(direct).not.toContain('secret-slug');
    const wrapped = new Error('could not save', { cause: new QueryFailedError('SELECT $1', ['hunter2'], postgresError()) });
    expect(JSON.stringify(withoutStatementValues(stdSerializers.err(wrapped)))).not.toMatch(/hunter2|secret-slug/);
  });

  it('leaves the error object itself untouched', () => {
    const error = new QueryFailedError('SELECT $1', ['kept'], postgresError());
    withoutStatementValues(stdSerializers.err(error));
    expect(error.parameters).toEqual(['kept']);
    expect((error.driverError as Error & { detail: string }).detail).toContain('secret-slug');
  });

  it('keeps the detail of errors that are not PostgreSQL errors (our own problem details)', () => {
    const error = Object.assign(new Error('refused'), { detail: 'The tenant is suspended.' });
    expect(JSON.stringify(withoutStatementValues(stdSerializers.err(error)))).toContain('The tenant is suspended.');
  });
});
