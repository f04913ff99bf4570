import { Injectable } from '@nestjs/common';
import { EventChannel } from '@app/service-core';

/** What happened to a tenant's license, for in-process listeners (e.g. forward-auth dropping its tenant cache). */
export type LicenseEvent =
  | { readonly type: 'issued'; readonly tenantId: string; readonly licenseId: string; readonly supersededLicenseId: string | null }
  | { readonly type: 'revoked'; readonly tenantId: string; readonly licenseId: string };

/** In-process license events, emitted after the change is committed. */
@Injectable()
export class LicenseEvents extends EventChannel<LicenseEvent> {
  constructor() {
    super('LicenseEvents');
  }
}
