import { ArgumentsHost, Catch, ExceptionFilter, Injectable, mixin, Type } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { clientAddressOf, sendProblem, toProblem } from '@app/service-core';
import { AgentsError } from '../agents.errors';
import { AgentAuthFailureCounter, UnverifiedFailureKind } from '../auth-failure-counter';

/**
 * For a route that takes one kind of agent credential as its bearer token: a 401 from the guard for a token means
 * the token did not verify (signature, type, claims, expiry), so it is counted, not audited. The agents lib's own
 * INVALID_TOKEN (an AgentsError) is a token that verified and whose row said no: already audited, not counted.
 * The response is the usual problem document either way.
 */
export function CountsUnverified(kind: UnverifiedFailureKind): Type<ExceptionFilter> {
  @Injectable()
  @Catch()
  class CountsUnverifiedFilter implements ExceptionFilter {
    constructor(private readonly failures: AgentAuthFailureCounter) {}

    catch(error: unknown, host: ArgumentsHost): void {
      const http = host.switchToHttp();
      const request = http.getRequest<FastifyRequest>();
      if (!(error instanceof AgentsError)) {
        const problem = toProblem(error);
        // Every 401 of the guard once a token was sent (INVALID_TOKEN, TOKEN_EXPIRED, WRONG_TOKEN_KIND, ...).
        if (problem.status === 401 && problem.code !== 'UNAUTHORIZED') {
          this.failures.record(kind, 'unverified', clientAddressOf(request));
        }
      }
      sendProblem(error, request, http.getResponse<FastifyReply>());
    }
  }
  return mixin(CountsUnverifiedFilter);
}
