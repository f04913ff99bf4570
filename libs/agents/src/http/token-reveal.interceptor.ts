import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { mergeMap, Observable } from 'rxjs';
import { ProblemException } from '@app/service-core';
import { BootstrapTokensService, BootstrapTokenView } from '../bootstrap-tokens.service';

const minted = new WeakMap<object, string>();

/** The handler leaves the minted token here instead of in its result, so the Idempotency-Key store never sees it. */
export function stashMintedToken(request: object, token: string): void {
  minted.set(request, token);
}

/**
 * Wraps IdempotencyInterceptor on the mint route (it must be the outer one): adds the token to the response after
 * the idempotency store has saved the token-less body. On a replay, where there is no stashed token, a new one is
 * signed for the same row while the row is still usable — equivalent to the first (same row, uses, expiry).
 */
@Injectable()
export class BootstrapTokenRevealInterceptor implements NestInterceptor {
  constructor(private readonly tokens: BootstrapTokensService) {}

  intercept(context: ExecutionContext, next: CallHandler<BootstrapTokenView>): Observable<BootstrapTokenView & { token: string }> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    return next.handle().pipe(
      mergeMap(async (body) => {
        const token = minted.get(request) ?? (await this.tokens.reissue(body.tenantId, body.id));
        if (token === undefined) {
          throw new ProblemException(409, 'BOOTSTRAP_TOKEN_UNAVAILABLE', 'The bootstrap token minted under this Idempotency-Key has expired or was revoked.');
        }
        return { ...body, token };
      }),
    );
  }
}
