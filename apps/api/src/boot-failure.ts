import pino from 'pino';
import { configContext, ConfigValidationError } from '@app/service-core';

/**
 * Reports why the process could not start, as one line on stderr: a pino JSON line (the format of every other log
 * line) outside development, a plain line while developing. Never a stack: every boot failure an operator can meet
 * (configuration, key files, an unreachable database) says in its message what to fix.
 */
export function reportBootFailure(error: unknown, env: NodeJS.ProcessEnv): void {
  const message = error instanceof Error ? error.message : String(error);
  const problems = error instanceof ConfigValidationError ? error.problems : undefined;
  const summary = problems === undefined ? `cameleer-saas failed to start: ${message}` : `cameleer-saas failed to start: invalid configuration: ${problems.join('; ')}`;
  if (configContext(env).development) {
    process.stderr.write(problems === undefined ? `${summary}\n` : `${message}\n`);
    return;
  }
  const name = error instanceof Error ? error.name : typeof error;
  pino({ level: 'fatal' }, pino.destination({ fd: 2, sync: true })).fatal({ error: name, ...(problems === undefined ? {} : { problems }) }, summary);
}
