import { DynamicModule, Module } from '@nestjs/common';
import { IDEMPOTENCY_OPTIONS, IdempotencyInterceptor, IdempotencyOptions } from './idempotency.interceptor';
import { IdempotencyStore } from './idempotency.store';

/** One store (and one purge timer) however many features import IdempotencyModule. */
@Module({ providers: [IdempotencyStore], exports: [IdempotencyStore] })
class IdempotencyStoreModule {}

/**
 * Shared Idempotency-Key plumbing (table `idempotency_keys`). A feature module imports
 * `IdempotencyModule.forFeature({ callerOf })` and marks its POST routes @Idempotent().
 */
@Module({})
export class IdempotencyModule {
  static forFeature(options: IdempotencyOptions): DynamicModule {
    return {
      module: IdempotencyModule,
      imports: [IdempotencyStoreModule],
      providers: [{ provide: IDEMPOTENCY_OPTIONS, useValue: options }, IdempotencyInterceptor],
      exports: [IDEMPOTENCY_OPTIONS, IdempotencyInterceptor, IdempotencyStoreModule],
    };
  }
}
