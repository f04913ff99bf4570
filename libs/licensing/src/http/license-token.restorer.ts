import { Injectable } from '@nestjs/common';
import { SecretRestorer } from '@app/service-core';
import { LicensingService } from '../licensing.service';

/**
 * The token of a replayed license issue (Idempotency-Key): the stored response is the license record without its
 * token, so a new one is signed for that same license while it is still the tenant's usable one.
 */
@Injectable()
export class LicenseTokenRestorer implements SecretRestorer<'token'> {
  constructor(private readonly licensing: LicensingService) {}

  async restore(stored: Readonly<Record<string, unknown>>): Promise<{ token: string }> {
    const { tenantId, id } = stored;
    if (typeof tenantId !== 'string' || typeof id !== 'string') {
      throw new TypeError('a stored license issue response has no tenantId and id');
    }
    return { token: await this.licensing.reissueToken(tenantId, id) };
  }
}
