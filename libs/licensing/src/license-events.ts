import { Injectable, Logger } from '@nestjs/common';

/** What happened to a tenant's license, for in-process listeners (e.g. forward-auth dropping its tenant cache). */
export type LicenseEvent =
  | { readonly type: 'issued'; readonly tenantId: string; readonly licenseId: string; readonly supersededLicenseId: string | null }
  | { readonly type: 'revoked'; readonly tenantId: string; readonly licenseId: string };

export type LicenseEventListener = (event: LicenseEvent) => void;

/** In-process license events. Listeners run synchronously after the change is committed; their errors are logged, never thrown. */
@Injectable()
export class LicenseEvents {
  private readonly logger = new Logger('LicenseEvents');
  private readonly listeners = new Set<LicenseEventListener>();

  /** Subscribes; returns the function that unsubscribes. */
  on(listener: LicenseEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  emit(event: LicenseEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error, event }, 'a license event listener failed');
      }
    }
  }
}
