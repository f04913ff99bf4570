import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { ApiConflictResponse, ApiHeader, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * Opts a POST route into `Idempotency-Key` handling (see IdempotencyInterceptor). The route's module must import
 * `IdempotencyModule.forFeature({ callerOf })`.
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
    ApiUnprocessableEntityResponse({ description: '`IDEMPOTENCY_KEY_REUSED`: the key was used with a different request.' }),
    ApiConflictResponse({ description: '`IDEMPOTENCY_IN_PROGRESS`: the first request with this key is still running.' }),
  );
}
