import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PeriodicPurge } from '@app/service-core';
import { AgentAssertionJti } from './agent.entities';

/** Deletes used assertion jtis once their assertions have expired (a replay of those fails on exp anyway). */
@Injectable()
export class AssertionJtiPurge extends PeriodicPurge {
  constructor(private readonly dataSource: DataSource) {
    super('used assertion jtis');
  }

  protected async deleteExpired(): Promise<void> {
    await this.dataSource.createQueryBuilder().delete().from(AgentAssertionJti).where('expires_at < now()').execute();
  }
}
