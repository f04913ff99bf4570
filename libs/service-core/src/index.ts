// Shared HTTP and persistence plumbing of the cameleer-saas service: configuration loading,
// the problem-details error shape, validation, pagination, request ids, logging, health,
// the TypeORM data source with boot-time migrations, and the embedded development database.
export * from './config/config-schema';
export * from './config/transformers';
export * from './config/service.config';
export * from './database/database.config';
export * from './database/database.module';
export * from './database/database-endpoint';
export * from './database/data-source-options';
export * from './database/database-errors';
export * from './database/migrate';
export * from './database/connect-with-retry';
export * from './database/embedded-postgres';
export * from './database/change-bus';
export * from './errors/coded-error';
export * from './events/event-channel';
export * from './http/problem';
export * from './http/to-problem';
export * from './http/problem.filter';
export * from './http/validation';
export * from './http/pagination';
export * from './http/uuid';
export * from './http/request-id';
export * from './http/public.decorator';
export * from './http/http-platform';
export * from './http/security-headers';
export * from './http/openapi';
export * from './logging/logging.module';
export * from './logging/redaction';
export * from './health/health.module';
export * from './health/readiness';
export * from './idempotency/idempotency-key';
export * from './idempotency/idempotency.store';
export * from './idempotency/idempotency.interceptor';
export * from './idempotency/idempotent.decorator';
export * from './idempotency/idempotency.module';
