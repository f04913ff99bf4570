import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CodedError, sendProblem } from '@app/service-core';
import { PAGE_SECURITY_POLICY, refusalPage } from './invitation-pages';

/**
 * The accept page is reached by browser navigation: a refusal with a code (expired, revoked, someone else's, the
 * tenant not active, Logto unavailable) is a small HTML page with the same status for a client that asks for HTML,
 * and the problem document for everything else.
 */
@Catch()
export class InvitationPageFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const accept = request.headers.accept ?? '';
    if (!(error instanceof CodedError) || !accept.toLowerCase().includes('text/html') || reply.sent) {
      sendProblem(error, request, reply);
      return;
    }
    void reply
      .status(error.spec.status)
      .headers(error.headers)
      .header('cache-control', 'no-store')
      .header('content-security-policy', PAGE_SECURITY_POLICY)
      .type('text/html; charset=utf-8')
      .send(refusalPage(error.spec.title, error.detail));
  }
}
