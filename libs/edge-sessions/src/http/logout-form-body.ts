import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

// The sign-in host's forms: sign-out, and accepting an invitation (the members lib's accept page).
const FORM_ROUTES: ReadonlySet<string> = new Set(['/api/auth/logout', '/api/auth/invitations/:invitationId']);
const FORM = 'application/x-www-form-urlencoded';

/**
 * The sign-out form posts `application/x-www-form-urlencoded` (an HTML form cannot send JSON). The API parses JSON
 * only, so this parser accepts a form body on POST /api/auth/logout and POST /api/auth/invitations/:invitationId
 * alone (and ignores it: the routes read none)
 * and answers every other route as before: 415.
 */
@Injectable()
export class LogoutFormBody implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    if (fastify === undefined || fastify.hasContentTypeParser(FORM)) {
      return;
    }
    fastify.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: 1024 }, (request, _body, done) => {
      if (request.routeOptions.url !== undefined && FORM_ROUTES.has(request.routeOptions.url)) {
        done(null, {});
        return;
      }
      done(Object.assign(new Error('Unsupported Media Type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), undefined);
    });
  }
}
