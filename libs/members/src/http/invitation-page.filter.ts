import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { answerBrowserRefusal, CodedError } from '@app/service-core';

/**
 * The accept page is reached by browser navigation: a refusal with a code (expired, revoked, someone else's, the
 * tenant not active, Logto unavailable) is a small HTML page with the same status for a client that asks for HTML,
 * and the problem document for everything else.
 */
@Catch()
export class InvitationPageFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    answerBrowserRefusal(error, host, (candidate) => candidate instanceof CodedError);
  }
}
