import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '@app/service-core';
import { AgentAssertionJti } from './agent.entities';

const PURGE_INTERVAL_MS = 60_000;

/** Deletes used assertion jtis once their assertions have expired (a replay of those fails on exp anyway), every minute. */
@Injectable()
export class AssertionJtiPurge implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('AssertionJtiPurge');
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
      await this.dataSource.createQueryBuilder().delete().from(AgentAssertionJti).where('expires_at < now()').execute();
    } catch (error) {
      if (!isDatabaseUnavailable(error)) {
        this.logger.warn({ err: error }, 'could not purge used assertion jtis');
      }
    }
  }
}
