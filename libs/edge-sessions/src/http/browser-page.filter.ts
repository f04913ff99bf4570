import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { answerBrowserRefusal } from '@app/service-core';
import { EdgeSessionError } from '../edge-sessions.errors';

/**
 * The sign-in routes are reached by browser navigation: a refusal of ours (an invalid rd, a sign-in that expired or
 * was cancelled, Logto unreachable) is a small HTML page with the same status for a client that asks for HTML,
 * and the problem document for everything else (and for every other error).
 */
@Catch()
export class BrowserPageFilter implements ExceptionFilter {
  catch(error: unknown, host: ArgumentsHost): void {
    answerBrowserRefusal(error, host, (candidate) => candidate instanceof EdgeSessionError);
  }
}
