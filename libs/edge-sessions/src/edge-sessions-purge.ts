import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeriodicPurge } from '@app/service-core';

/**
 * Deletes expired sessions (their organization tokens go with them), expired organization tokens and sign-in
 * attempts never completed. Lookups check expiry themselves: this only keeps the tables small.
 */
@Injectable()
export class EdgeSessionsPurge extends PeriodicPurge {
  constructor(private readonly dataSource: DataSource) {
    super('expired edge sessions');
  }

  protected async deleteExpired(): Promise<void> {
    await this.dataSource.query('DELETE FROM edge_sessions WHERE expires_at < now() OR idle_expires_at < now()');
    await this.dataSource.query('DELETE FROM edge_session_organization_tokens WHERE expires_at < now()');
    await this.dataSource.query('DELETE FROM edge_sign_in_attempts WHERE expires_at < now()');
  }
}
