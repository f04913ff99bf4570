import { Logger, LoggerService } from '@nestjs/common';
import pino, { Logger as Pino } from 'pino';
import { configContext, ConfigValidationError } from '@app/service-core';

/**
 * Before the app's own logger exists (waiting for the database) and when the boot fails, outside development the
 * process logs JSON lines as pino writes them, the format of every later log line, so a log pipeline never meets a
 * Nest-formatted line. While developing Nest's readable lines stay.
 */
export function useJsonBootLogs(env: NodeJS.ProcessEnv): void {
  if (!configContext(env).development) {
    Logger.overrideLogger(new PinoBootLogger(pino({ level: 'info' })));
  }
}

/**
 * Reports why the process could not start, as one line on stderr: pino JSON outside development, a plain line while
 * developing. Never a stack: every boot failure an operator can meet (configuration, key files, an unreachable
 * database) says in its message what to fix.
 */
export function reportBootFailure(error: unknown, env: NodeJS.ProcessEnv): void {
  const message = error instanceof Error ? error.message : String(error);
  const problems = error instanceof ConfigValidationError ? error.problems : undefined;
  if (configContext(env).development) {
    process.stderr.write(problems === undefined ? `cameleer-saas failed to start: ${message}\n` : `${message}\n`);
    return;
  }
  const summary = problems === undefined ? message : `invalid configuration: ${problems.join('; ')}`;
  const name = error instanceof Error ? error.name : typeof error;
  pino({ level: 'fatal' }, pino.destination({ fd: 2, sync: true })).fatal({ error: name, ...(problems === undefined ? {} : { problems }) }, `cameleer-saas failed to start: ${summary}`);
}

class PinoBootLogger implements LoggerService {
  constructor(private readonly pino: Pino) {}

  log(message: unknown, context?: string): void {
    this.pino.info({ context }, String(message));
  }

  warn(message: unknown, context?: string): void {
    this.pino.warn({ context }, String(message));
  }

  error(message: unknown, _trace?: string, context?: string): void {
    this.pino.error({ context }, String(message));
  }
}
