import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '@app/service-core';

const PURGE_INTERVAL_MS = 60_000;

/**
 * Deletes expired sessions (their organization tokens go with them), expired organization tokens and sign-in
 * attempts never completed, every minute. Lookups check expiry themselves: this only keeps the tables small.
 */
@Injectable()
export class EdgeSessionsPurge implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('EdgeSessionsPurge');
  private timer?: NodeJS.Timeout;

  constructor(private readonly dataSource: DataSource) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.purge(), PURGE_INTERVAL_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async purge(): Promise<void> {
    try {
      await this.dataSource.query('DELETE FROM edge_sessions WHERE expires_at < now() OR idle_expires_at < now()');
      await this.dataSource.query('DELETE FROM edge_session_organization_tokens WHERE expires_at < now()');
      await this.dataSource.query('DELETE FROM edge_sign_in_attempts WHERE expires_at < now()');
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        this.logger.warn({ err: error }, 'could not purge expired edge sessions');
      }
    }
  }
}
