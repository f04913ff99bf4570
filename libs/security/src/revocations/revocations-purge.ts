import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeriodicPurge } from '@app/service-core';
import { PrincipalRevocations } from './principal-revocations';

/**
 * Deletes expired revocations every minute, then reads the live ones again: the check ignores expired records by
 * itself, and the reload is the safety net for a notification another replica gave up sending.
 */
@Injectable()
export class RevocationsPurge extends PeriodicPurge {
  constructor(
    private readonly dataSource: DataSource,
    private readonly revocations: PrincipalRevocations,
  ) {
    super('expired principal revocations');
  }

  protected async deleteExpired(): Promise<void> {
    await this.dataSource.query('DELETE FROM principal_revocations WHERE expires_at <= now()');
    await this.revocations.reload();
  }
}
