import { CallHandler, Injectable, NestInterceptor } from '@nestjs/common';
import { mergeMap, Observable } from 'rxjs';
import { BootstrapTokensService, BootstrapTokenView } from '../bootstrap-tokens.service';

/** Where the mint handler puts the token in its result: under a symbol, which JSON (and so the Idempotency-Key store) never sees. */
export const MINTED_TOKEN = Symbol('minted bootstrap token');

/** What the mint handler returns: the row's view, with the token beside it. */
export type MintResult = BootstrapTokenView & { readonly [MINTED_TOKEN]: string };

/**
 * Wraps IdempotencyInterceptor on the mint route (it must be the outer one), which stores the handler's result
 * as JSON, so without the token, and passes the result itself on: this puts the token into the body. On a replay,
 * where the body is the stored one, a new token is signed for the same row while the row is still usable —
 * equivalent to the first (same row, uses, expiry).
 */
@Injectable()
export class BootstrapTokenReveal implements NestInterceptor {
  constructor(private readonly tokens: BootstrapTokensService) {}

  intercept(_context: unknown, next: CallHandler<Partial<MintResult> & BootstrapTokenView>): Observable<BootstrapTokenView & { token: string }> {
    return next.handle().pipe(
      mergeMap(async ({ [MINTED_TOKEN]: minted, ...view }) => ({ ...view, token: minted ?? (await this.tokens.reissue(view.tenantId, view.id)) })),
    );
  }
}
