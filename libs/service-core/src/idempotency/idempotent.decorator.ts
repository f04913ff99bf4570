import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { ApiErrors } from '../errors/coded-error';
import { IDEMPOTENCY_ERRORS } from './idempotency-errors';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * Opts a POST route into `Idempotency-Key` handling (see IdempotencyInterceptor). The route's module must import
 * `IdempotencyModule.forFeature({ callerOf })`. The route's own ApiErrors for the same status (409) are joined
 * to these in the OpenAPI document.
 */
export function Idempotent(): MethodDecorator {
  return applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Optional, 1–255 visible ASCII characters, scoped to the caller and route, remembered 24 h. The same key with the same ' +
        'request replays the first response (header `Idempotent-Replayed: true`); with a different request → 422 ' +
        '`IDEMPOTENCY_KEY_REUSED`; while the first is still running → 409 `IDEMPOTENCY_IN_PROGRESS`.',
    }),
    ApiErrors(IDEMPOTENCY_ERRORS, 'IDEMPOTENCY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED'),
  );
}
