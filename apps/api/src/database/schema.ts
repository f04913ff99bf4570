import { IdempotencyKey, SchemaDefinition } from '@app/service-core';
import { OrganizationMemberSnapshot, Tenant } from '@app/tenants';
import { License } from '@app/licensing';
import { AuditEvent, PrincipalRevocation } from '@app/security';
import { Agent, AgentAssertionJti, AgentBootstrapToken } from '@app/agents';
import { EdgeSession, EdgeSessionOrganizationToken, EdgeSignInAttempt } from '@app/edge-sessions';
import { EventDelivery, EventSubscription, OutboxEvent } from '@app/events';
import { CreateIdempotencyKeys1795965600000 } from './migrations/1795965600000-CreateIdempotencyKeys';
import { CreateTenants1795965700000 } from './migrations/1795965700000-CreateTenants';
import { CreateLicenses1795965800000 } from './migrations/1795965800000-CreateLicenses';
import { CreateAgents1795966200000 } from './migrations/1795966200000-CreateAgents';
import { StripTokensFromIdempotencyKeys1795966300000 } from './migrations/1795966300000-StripTokensFromIdempotencyKeys';
import { TenantSyncMarkerAndFailure1795966400000 } from './migrations/1795966400000-TenantSyncMarkerAndFailure';
import { UniqueAgentPublicKey1795966500000 } from './migrations/1795966500000-UniqueAgentPublicKey';
import { CreateEdgeSessions1795966600000 } from './migrations/1795966600000-CreateEdgeSessions';
import { CreateEventFeed1795966700000 } from './migrations/1795966700000-CreateEventFeed';
import { CreatePrincipalRevocations1795966800000 } from './migrations/1795966800000-CreatePrincipalRevocations';
import { TenantRetentionAndPurge1795966900000 } from './migrations/1795966900000-TenantRetentionAndPurge';
import { CreateOrganizationMemberSnapshots1795967100000 } from './migrations/1795967100000-CreateOrganizationMemberSnapshots';
import { RecordMemberReadditions1795967300000 } from './migrations/1795967300000-RecordMemberReadditions';

/** Every entity and migration of the service, in one list the app, the CLI and the tests share. */
export const schema: SchemaDefinition = {
  entities: [IdempotencyKey, Tenant, OrganizationMemberSnapshot, License, AgentBootstrapToken, Agent, AgentAssertionJti, AuditEvent, EdgeSession, EdgeSignInAttempt, EdgeSessionOrganizationToken, OutboxEvent, EventSubscription, EventDelivery, PrincipalRevocation],
  migrations: [
    CreateIdempotencyKeys1795965600000,
    CreateTenants1795965700000,
    CreateLicenses1795965800000,
    CreateAgents1795966200000,
    StripTokensFromIdempotencyKeys1795966300000,
    TenantSyncMarkerAndFailure1795966400000,
    UniqueAgentPublicKey1795966500000,
    CreateEdgeSessions1795966600000,
    CreateEventFeed1795966700000,
    CreatePrincipalRevocations1795966800000,
    TenantRetentionAndPurge1795966900000,
    CreateOrganizationMemberSnapshots1795967100000,
    RecordMemberReadditions1795967300000,
  ],
};
