import { toProblem } from '../http/to-problem';
import { CodedError, ErrorCatalog } from './coded-error';

const SAMPLE_ERRORS = {
  THING_TAKEN: { status: 409, title: 'Thing taken' },
  THING_BROKEN: { status: 500, title: 'Thing broken' },
} as const satisfies ErrorCatalog<string>;

class SampleError extends CodedError<keyof typeof SAMPLE_ERRORS> {
  readonly catalog = SAMPLE_ERRORS;
}

describe('CodedError', () => {
  it('takes its status and title from the catalog, its detail and headers from the thrower', () => {
    const problem = toProblem(new SampleError('THING_TAKEN', 'The thing "a" is taken.', { headers: { 'retry-after': '1' } }));
    expect(problem).toEqual({
      status: 409,
      code: 'THING_TAKEN',
      title: 'Thing taken',
      detail: 'The thing "a" is taken.',
      errors: undefined,
      headers: { 'retry-after': '1' },
      internal: false,
    });
  });

  it('is internal (logged with an error id, never described) when the catalog says 500', () => {
    expect(toProblem(new SampleError('THING_BROKEN', 'secret detail'))).toMatchObject({ status: 500, code: 'INTERNAL_ERROR', internal: true, detail: 'An unexpected error occurred.' });
  });

  it('names itself after the subclass', () => {
    expect(new SampleError('THING_TAKEN', 'x').name).toBe('SampleError');
  });
});
