import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';

const LOGOUT_ROUTE = '/api/auth/logout';
const FORM = 'application/x-www-form-urlencoded';

/**
 * The sign-out form posts `application/x-www-form-urlencoded` (an HTML form cannot send JSON). The API parses JSON
 * only, so this parser accepts a form body on POST /api/auth/logout alone (and ignores it: the route reads none)
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
      if (request.routeOptions.url === LOGOUT_ROUTE) {
        done(null, {});
        return;
      }
      done(Object.assign(new Error('Unsupported Media Type'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), undefined);
    });
  }
}
