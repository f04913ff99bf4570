import { Injectable } from '@nestjs/common';
import { SecretRestorer } from '@app/service-core';
import { BootstrapTokensService } from '../bootstrap-tokens.service';

/**
 * The token of a replayed mint (Idempotency-Key): the stored response is the row's view without its token, so a new
 * token is signed for that same row while it is still usable — equivalent to the first (same row, uses, expiry).
 */
@Injectable()
export class BootstrapTokenRestorer implements SecretRestorer<'token'> {
  constructor(private readonly tokens: BootstrapTokensService) {}

  async restore(stored: Readonly<Record<string, unknown>>): Promise<{ token: string }> {
    const { tenantId, id } = stored;
    if (typeof tenantId !== 'string' || typeof id !== 'string') {
      throw new TypeError('a stored bootstrap token mint response has no tenantId and id');
    }
    return { token: await this.tokens.reissue(tenantId, id) };
  }
}
