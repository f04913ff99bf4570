import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { LicenseEvents } from '@app/licensing';
import { PrincipalRevocations, Revocation } from '@app/security';
import { Change, ChangeBus } from '@app/service-core';
import { TenantEvents } from '@app/tenants';
import { AGENT_STATUS, AgentStatus } from './agent-status';
import { deleteWhere, ForwardAuthCaches, NO_SUCH_TENANT } from './forward-auth.caches';
import { IdentityAssertionSigner } from './identity-assertion';

/** The ChangeBus topics forward-auth publishes and hears; each change's id is the tenant's or the agent's. */
export const TENANT_CHANGED = 'tenant';
export const LICENSE_CHANGED = 'license';
export const AGENT_DISABLED = 'agent';

/**
 * What each change drops from forward-auth's caches — the one rule, for this replica and, through the
 * ChangeBus (NOTIFY), for every other one:
 *
 * | change                                   | drops                                                   |
 * |------------------------------------------|---------------------------------------------------------|
 * | tenant changed (status, organization, deleted) | that tenant's snapshot, and every "no such tenant" answer |
 * | license issued or revoked                | that tenant's snapshot (it carries the license tier)    |
 * | agent disabled                           | that agent's status answer and every token of it        |
 * | Logto user revoked (PrincipalRevocations: removed from an organization, roles changed, deleted, suspended) | that user's tokens (for that organization, or all of them when user-wide) and every identity assertion signed for the user |
 * | change channel lost                      | everything; nothing is cached until it is back          |
 * | change channel back                      | everything (what was missed meanwhile is unknown); caching resumes |
 *
 * Every drop bumps the caches' epoch, so a verification or load that started before it is not cached.
 * A topic this rule does not know drops nothing.
 */
export function applyChange(caches: ForwardAuthCaches, change: Change): void {
  switch (change.topic) {
    case TENANT_CHANGED:
      caches.invalidate(({ tenants }) => deleteWhere(tenants, (answer) => answer === NO_SUCH_TENANT || answer.id === change.id));
      return;
    case LICENSE_CHANGED:
      caches.invalidate(({ tenants }) => deleteWhere(tenants, (answer) => answer !== NO_SUCH_TENANT && answer.id === change.id));
      return;
    case AGENT_DISABLED:
      caches.invalidate(({ agents, tokens }) => {
        agents.delete(change.id);
        deleteWhere(tokens, (principal) => principal.scheme === 'machine' && principal.subject === change.id);
      });
      return;
  }
}

/**
 * The revocation row of the rule above. The revocation is already in force in the verifier when this runs
 * (PrincipalRevocations applies it before it tells anyone), so the next verification of a dropped token refuses it.
 */
export function applyRevocation(caches: ForwardAuthCaches, assertions: IdentityAssertionSigner, revocation: Revocation): void {
  caches.invalidate(({ tokens }) =>
    deleteWhere(
      tokens,
      (principal) =>
        principal.scheme === 'logto' &&
        principal.subject === revocation.userId &&
        (revocation.organizationId === null || principal.organizationId === revocation.organizationId),
    ),
  );
  assertions.forgetSubject(revocation.userId);
}

/**
 * Wires the rule: the tenants and licensing libs' events and the agent-status port's disables are
 * published on the ChangeBus (heard here at once, by other replicas via NOTIFY); every change heard is
 * applied; every revocation (heard on every replica through PrincipalRevocations) is applied; the channel's state
 * switches caching off and on.
 */
@Injectable()
export class ForwardAuthInvalidation implements OnModuleInit, OnModuleDestroy {
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly caches: ForwardAuthCaches,
    private readonly changes: ChangeBus,
    private readonly tenantEvents: TenantEvents,
    private readonly licenseEvents: LicenseEvents,
    @Inject(AGENT_STATUS) private readonly agentStatus: AgentStatus,
    private readonly revocations: PrincipalRevocations,
    private readonly assertions: IdentityAssertionSigner,
  ) {}

  onModuleInit(): void {
    this.caches.setEnabled(this.changes.connected);
    this.unsubscribe.push(
      this.changes.onConnectionChange((connected) => this.caches.setEnabled(connected)),
      this.changes.subscribe((change) => applyChange(this.caches, change)),
      this.tenantEvents.on((event) => this.changes.publish({ topic: TENANT_CHANGED, id: event.tenantId })),
      this.licenseEvents.on((event) => this.changes.publish({ topic: LICENSE_CHANGED, id: event.tenantId })),
      this.agentStatus.onDisabled((agentId) => this.changes.publish({ topic: AGENT_DISABLED, id: agentId })),
      this.revocations.onRevoked((revocation) => applyRevocation(this.caches, this.assertions, revocation)),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe.forEach((stop) => stop());
  }
}
