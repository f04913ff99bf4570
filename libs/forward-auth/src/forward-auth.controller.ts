import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@app/service-core';
import { ForwardAuthError } from './forward-auth.errors';
import { FORWARD_AUTH_PATH, forwardedRequestOf, isForwardAuthPath, problemAnswer, verdictAnswer, WireAnswer } from './forward-auth.http';
import { ForwardAuthService } from './forward-auth.service';

/**
 * Traefik's forwardAuth address on the main port. Public to the global guard because it makes its own decision
 * (bearer token, tenant from X-Forwarded-Host); reachable only on the internal network in the stack. Fastify also
 * routes other spellings of the path here (percent-encoded letters, dot segments); they are refused with 404.
 */
@Controller('auth')
export class ForwardAuthController {
  constructor(private readonly forwardAuth: ForwardAuthService) {}

  @Get('verify')
  @Public()
  @SkipThrottle()
  @ApiExcludeEndpoint()
  async verify(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    let answer: WireAnswer;
    try {
      if (!isForwardAuthPath(request.raw.url)) {
        throw new ForwardAuthError('NOT_FOUND', `Only ${FORWARD_AUTH_PATH}, spelled exactly so, is the forward-auth path.`);
      }
      answer = verdictAnswer(await this.forwardAuth.answer(forwardedRequestOf(request.headers)), request.id);
    } catch (error) {
      answer = problemAnswer(error, request.id);
    }
    await reply.code(answer.status).headers(answer.headers).send(answer.body);
  }
}
