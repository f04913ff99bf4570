import { Injectable, Module, OnModuleInit } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EdgeSessions, EdgeSessionsModule } from '@app/edge-sessions';
import { AfterCommit, Tenant, TenantRetirement, TenantsModule } from '@app/tenants';

/**
 * The edge sessions' part in a tenant's delete and purge (the libs do not know each other: the app joins them):
 * every session's organization token for the tenant's organization is dropped, in the delete's transaction, and
 * every replica forgets its cached ones once committed. The sessions themselves stay (they are the user's, who
 * may belong to other tenants); forward-auth refuses the deleted tenant whatever a session holds.
 */
@Injectable()
class EdgeSessionRetirement implements OnModuleInit {
  readonly name = 'edge-sessions';

  constructor(
    private readonly retirement: TenantRetirement,
    private readonly sessions: EdgeSessions,
  ) {}

  onModuleInit(): void {
    this.retirement.register(this);
  }

  async retire(tenant: Tenant, _by: unknown, tx: EntityManager): Promise<AfterCommit | void> {
    return this.drop(tenant, tx);
  }

  async purge(tenant: Tenant, tx: EntityManager): Promise<AfterCommit | void> {
    return this.drop(tenant, tx);
  }

  /** Nothing to do after a restore: a session obtains a new organization token when it needs one. */
  describeStopped(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  private async drop(tenant: Tenant, tx: EntityManager): Promise<AfterCommit | void> {
    return tenant.logtoOrganizationId === null ? undefined : this.sessions.dropOrganizationTokens(tenant.logtoOrganizationId, tx);
  }
}

@Module({
  imports: [EdgeSessionsModule, TenantsModule],
  providers: [EdgeSessionRetirement],
})
export class EdgeSessionRetirementModule {}
