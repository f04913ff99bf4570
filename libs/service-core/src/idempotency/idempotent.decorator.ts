import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import { ApiErrors } from '../errors/coded-error';
import { IDEMPOTENCY_ERRORS } from './idempotency-errors';
import { IdempotencyInterceptor } from './idempotency.interceptor';
import { IDEMPOTENT_SECRETS, IdempotentSecrets } from './idempotent-secrets';

/**
 * Opts a POST route into `Idempotency-Key` handling (see IdempotencyInterceptor). The route's module must import
 * `IdempotencyModule.forFeature({ callerOf })`. The route's own ApiErrors for the same status (409) are joined
 * to these in the OpenAPI document. A route whose response holds a secret (a token, a key) names it in `secrets`:
 * it is never stored, and a replay carries one made anew by `secrets.restoredBy` for the same record.
 */
export function Idempotent<F extends string>(secrets?: IdempotentSecrets<F>): MethodDecorator {
  const secretNote =
    secrets === undefined
      ? ''
      : ` The response's ${secrets.fields.map((field) => `\`${field}\``).join(', ')} is never stored: a replay carries a newly made one ` +
        'for the same record, or a problem (see the errors below) when that record can no longer have one.';
  return applyDecorators(
    UseInterceptors(IdempotencyInterceptor),
    ...(secrets === undefined ? [] : [SetMetadata(IDEMPOTENT_SECRETS, secrets)]),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description:
        'Optional, 1–255 visible ASCII characters, scoped to the caller and route, remembered 24 h. The same key with the same ' +
        'request replays the first response (header `Idempotent-Replayed: true`); with a different request → 422 ' +
        '`IDEMPOTENCY_KEY_REUSED`; while the first is still running → 409 `IDEMPOTENCY_IN_PROGRESS`.' +
        secretNote,
    }),
    ApiErrors(IDEMPOTENCY_ERRORS, 'IDEMPOTENCY_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED'),
  );
}
