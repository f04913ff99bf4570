export { CliFailure, type CliDefinition, EXIT_FAILED, EXIT_OK, EXIT_USAGE, integerValue, runCli, UsageError } from './cli';
