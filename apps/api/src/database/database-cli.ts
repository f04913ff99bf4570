import { inspect } from 'node:util';
import { CliFailure, EXIT_FAILED, EXIT_USAGE } from '@app/cli';
import { ConfigValidationError, type DatabaseConfig, databaseConfigSchema, loadConfig } from '@app/service-core';

/** The migration commands' configuration, or a failure listing every problem (exit 2, like a usage error). */
export function databaseConfigOrFail(): DatabaseConfig {
  try {
    return loadConfig(databaseConfigSchema);
  } catch (error) {
    throw error instanceof ConfigValidationError ? new CliFailure(error.message, EXIT_USAGE) : error;
  }
}

/**
 * Past the configuration, every failure of a migration command (connection, lock, SQL) is an expected one whose
 * message says why; the cause stays attached so a permission error is reported as such.
 */
export function databaseFailure(error: unknown): CliFailure {
  if (error instanceof CliFailure) {
    return error;
  }
  const message = error instanceof Error ? error.message : inspect(error, { breakLength: Infinity, depth: 2 });
  return new CliFailure(message, EXIT_FAILED, { cause: error });
}
