import { Controller, Get, HttpCode, Req, Res } from '@nestjs/common';
import { ApiExcludeEndpoint } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '@app/service-core';
import { ForwardAuthService } from './forward-auth.service';

/**
 * Traefik's forwardAuth address. Public to the global guard because it makes its own decision
 * (bearer token, tenant from X-Forwarded-Host); reachable only on the internal network in the stack.
 */
@Controller('auth')
export class ForwardAuthController {
  constructor(private readonly forwardAuth: ForwardAuthService) {}

  @Get('verify')
  @Public()
  @SkipThrottle()
  @HttpCode(200)
  @ApiExcludeEndpoint()
  async verify(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const headers = request.headers;
    const decision = await this.forwardAuth.decide({
      authorization: headers.authorization,
      forwardedHost: headers['x-forwarded-host'],
      forwardedMethod: headers['x-forwarded-method'],
      origin: headers.origin,
      accessControlRequestMethod: headers['access-control-request-method'],
    });
    if (!decision.allow) {
      throw decision.problem;
    }
    await reply.code(200).headers(decision.headers).header('cache-control', 'no-store').send();
  }
}
