import { ArgumentsHost, Catch, ExceptionFilter, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem, toProblem } from '@app/service-core';
import { AgentAuthFailureCounter } from '../auth-failure-counter';
import { SourceIpResolver } from '../source-ip.resolver';

/**
 * On the machine-token routes: a 401 from the guard means the token did not verify (signature, type, claims).
 * Counted, not audited; the response is the usual problem document.
 */
@Injectable()
@Catch()
export class AgentAuthFailureFilter implements ExceptionFilter {
  constructor(
    private readonly failures: AgentAuthFailureCounter,
    private readonly sourceIp: SourceIpResolver,
  ) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const problem = toProblem(error);
    if (problem.status === 401 && problem.code === 'INVALID_TOKEN' && !tokenChecked.has(request)) {
      const kind = request.url.includes('/agents/register') ? 'bootstrap_token' : 'agent_token';
      this.failures.record(kind, 'unverified', this.sourceIp.of(request));
    }
    sendProblem(error, request, http.getResponse<FastifyReply>());
  }
}

const tokenChecked = new WeakSet<object>();

/** The service refused a token that verified (its row said no): already audited, not counted as a forgery. */
export function markTokenVerified(request: object): void {
  tokenChecked.add(request);
}
