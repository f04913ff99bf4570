import { ArgumentsHost, Catch, ExceptionFilter, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem';
import { toProblem } from './to-problem';

const logger = new Logger('Errors');

/** Writes any error as a problem document. Shared by the Nest filter and Fastify's own error handler. */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const problem = toProblem(error);
  let errorId: string | undefined;
  if (problem.internal) {
    errorId = randomUUID();
    // The stack goes to the log under an id the client can quote; never into the response.
    logger.error({ err: error, errorId, requestId: request.id, method: request.method, route: request.routeOptions.url }, `unhandled error ${errorId}`);
  } else if (problem.status === 503) {
    logger.warn({ errorId, requestId: request.id, code: problem.code }, problem.detail);
  }
  if (reply.sent) {
    return;
  }
  void reply
    .status(problem.status)
    .headers(problem.headers)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .send(problemBody(problem.status, problem.code, problem.detail, request.id, { title: problem.title, errors: problem.errors, errorId }));
}

@Catch()
export class ProblemFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendProblem(error, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}
