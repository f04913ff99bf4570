export { CliFailure, type CliDefinition, EXIT_FAILED, EXIT_OK, EXIT_USAGE, integerValue, type ParsedArgs, runCli, UsageError } from './cli';
