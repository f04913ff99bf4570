import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { databaseConfig, DatabaseConfig } from './database.config';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

/** Where the app's database is: a configured server, or the embedded one started for this process. */
@Injectable()
export class DatabaseEndpoint implements OnApplicationShutdown {
  private embedded?: EmbeddedPostgres;
  private resolvedUrl?: string;

  constructor(@Inject(databaseConfig.KEY) private readonly config: DatabaseConfig) {}

  async url(): Promise<string> {
    if (this.resolvedUrl === undefined) {
      const target = this.config.target;
      if (target.kind === 'server') {
        this.resolvedUrl = target.url;
      } else {
        this.embedded = await startEmbeddedPostgres(target.dataDir);
        this.resolvedUrl = this.embedded.url;
      }
    }
    return this.resolvedUrl;
  }

  get isEmbedded(): boolean {
    return this.config.target.kind === 'embedded';
  }

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}
