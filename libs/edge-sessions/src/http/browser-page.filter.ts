import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from '@app/service-core';
import { EdgeSessionError } from '../edge-sessions.errors';
import { errorPage, pageSecurityPolicy } from './pages';

/**
 * The sign-in routes are reached by browser navigation: a refusal of ours (an invalid rd, a sign-in that expired or
 * was cancelled, Logto unreachable) is a small HTML page with the same status for a client that asks for HTML,
 * and the problem document for everything else (and for every other error).
 */
@Catch()
export class BrowserPageFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const accept = request.headers.accept ?? '';
    if (!(error instanceof EdgeSessionError) || !accept.toLowerCase().includes('text/html') || reply.sent) {
      sendProblem(error, request, reply);
      return;
    }
    void reply
      .status(error.spec.status)
      .headers(error.headers)
      .header('cache-control', 'no-store')
      .header('content-security-policy', pageSecurityPolicy(undefined))
      .type('text/html; charset=utf-8')
      .send(errorPage(error.spec.title, error.detail));
  }
}
