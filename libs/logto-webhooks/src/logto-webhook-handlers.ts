import { Injectable, Logger } from '@nestjs/common';
import { LogtoError } from '@app/logto-client';
import { Metrics } from '@app/service-core';
import { PrincipalRevocations } from '@app/security';
import { MemberRemovals, TenantReconciler, TenantsError } from '@app/tenants';
import { idFrom, invalid, isLogtoId, isRecord, LogtoHookPayload } from './logto-hook-payload';
import { HandledLogtoEvent } from './logto-events';
import { LogtoWebhooksError } from './logto-webhooks.errors';

/** Logto caps each membership delta array at this many ids (1.42, MEMBERSHIP_DELTA_CAP): a full one may be cut short. */
const MEMBERSHIP_DELTA_CAP = 5000;

/** Who the audit trail names for what Logto's webhook reported. */
const LOGTO_ACTOR = 'logto';

/** How one delivery ended (the `outcome` label of cameleer_logto_webhooks_total). */
export type WebhookOutcome = 'handled' | 'ignored' | 'not_configured' | 'too_large' | 'invalid_signature' | 'invalid_payload' | 'failed';

/**
 * What each Logto event does here: one dispatch table. Every handler is idempotent, because Logto sends no delivery
 * id and signs no timestamp, so a repeated or replayed delivery must change nothing: a removal or revocation already
 * recorded is not recorded again (MemberRemovals, PrincipalRevocations), and the reconciler's check repairs only
 * what still differs.
 */
@Injectable()
export class LogtoWebhookHandlers {
  private readonly logger = new Logger('LogtoWebhooks');
  private readonly outcomes: Record<WebhookOutcome, number>;
  private readonly alerts: Record<'platform_scoped_role', number>;
  private readonly handlers: Readonly<Record<HandledLogtoEvent, (payload: LogtoHookPayload) => Promise<void>>> = {
    'Organization.Membership.Updated': (payload) => this.membershipUpdated(payload),
    'Organization.Deleted': (payload) => this.organizationChanged(payload),
    'Organization.Data.Updated': (payload) => this.organizationChanged(payload),
    'OrganizationRole.Scopes.Updated': () => this.organizationRoleScopesUpdated(),
    'User.Deleted': (payload) => this.userDeleted(payload),
    'User.SuspensionStatus.Updated': (payload) => this.userSuspensionUpdated(payload),
  };

  constructor(
    private readonly memberRemovals: MemberRemovals,
    private readonly revocations: PrincipalRevocations,
    private readonly reconciler: TenantReconciler,
    metrics: Metrics,
  ) {
    this.outcomes = metrics.tally(
      'cameleer_logto_webhooks_total',
      'Logto webhook deliveries by outcome (handled, ignored: an event not handled here, or refused: not_configured, too_large, invalid_signature, invalid_payload; failed: Logto unavailable for the check).',
      Object.fromEntries((['handled', 'ignored', 'not_configured', 'too_large', 'invalid_signature', 'invalid_payload', 'failed'] as const).map((outcome) => [outcome, { outcome }])) as Record<WebhookOutcome, { outcome: string }>,
    );
    this.alerts = metrics.tally('cameleer_logto_alerts_total', 'Alarming states a Logto webhook revealed: an organization role carrying platform:* scopes.', {
      platform_scoped_role: { kind: 'platform_scoped_role' },
    });
  }

  count(outcome: WebhookOutcome): void {
    this.outcomes[outcome]++;
  }

  /** Runs the event's handler; an event this receiver does not handle is ignored (Logto may send more than registered). */
  async dispatch(payload: LogtoHookPayload): Promise<WebhookOutcome> {
    const handler = (this.handlers as Readonly<Record<string, (payload: LogtoHookPayload) => Promise<void>>>)[payload.event];
    if (handler === undefined || !Object.hasOwn(this.handlers, payload.event)) {
      return 'ignored';
    }
    try {
      await handler(payload);
    } catch (error) {
      if (error instanceof TenantsError && (error.code === 'LOGTO_UNAVAILABLE' || error.code === 'LOGTO_NOT_CONFIGURED')) {
        this.logger.warn(`${payload.event}: ${error.detail} The next drift pass checks again.`);
        throw new LogtoWebhooksError('LOGTO_UNAVAILABLE', `${error.detail} The next drift pass checks again.`, { headers: error.headers });
      }
      // Logto refused a check this event needed (its answer, not the sender's payload): not the sender's fault either.
      if (error instanceof LogtoError) {
        this.logger.warn(`${payload.event}: Logto refused a check (${error.message}); the next drift pass checks again`);
        throw new LogtoWebhooksError('LOGTO_UNAVAILABLE', 'Logto refused a check this event needs; the next drift pass checks again.', { headers: { 'retry-after': '10' } });
      }
      throw error;
    }
    return 'handled';
  }

  /**
   * Removed users lose the organization (MemberRemovals, per user). Logto 1.42 names them in `removedUserIds`; before
   * 1.42 the payload has none, and the route that fired the event says who: DELETE /organizations/:id/users/:userId
   * names the user in `params.userId`. A PUT replacing the members (no delta before 1.42) names nobody: the
   * reconciler's membership comparison on its drift pass finds those. Added users are recorded for that comparison
   * and as re-added (their next removal is a new one). Both are dated by the payload's `createdAt` (Logto's time of
   * the change), so a delivery arriving late or replayed is placed where it happened (MemberRemovals' ordering note).
   * Logto 1.42 sends `addedUserIds` for POST and PUT /organizations/:id/users; before 1.42 a POST names the added
   * users in its body (`userIds`), which the payload does not carry (Logto's hook context has `params` only, the path
   * parameters): the drift pass notes those re-additions.
   */
  private async membershipUpdated(payload: LogtoHookPayload): Promise<void> {
    const organizationId = idFrom('organizationId', payload.organizationId, payload.params.id);
    let removed: readonly string[];
    if (payload.removedUserIds !== undefined) {
      if (!Array.isArray(payload.removedUserIds) || !payload.removedUserIds.every(isLogtoId)) {
        throw invalid('removedUserIds: expected an array of Logto user ids');
      }
      removed = payload.removedUserIds;
      if (removed.length >= MEMBERSHIP_DELTA_CAP) {
        this.logger.warn(`organization ${organizationId}: Logto's removedUserIds is at its cap (${MEMBERSHIP_DELTA_CAP}); the drift pass finds any it left out`);
      }
    } else if (payload.method === 'DELETE' && payload.params.userId !== undefined) {
      removed = [idFrom('params.userId', payload.params.userId)];
    } else {
      removed = [];
    }
    for (const userId of new Set(removed)) {
      await this.memberRemovals.removed({ organizationId, userId, actor: LOGTO_ACTOR, source: 'logto-webhook', at: payload.createdAt });
    }
    if (removed.length > 0) {
      await this.reconciler.membersRemoved(organizationId, removed);
    }
    // Added users join the drift pass's snapshot now: should their removal's delivery be lost, the pass finds it.
    if (payload.addedUserIds !== undefined) {
      if (!Array.isArray(payload.addedUserIds) || !payload.addedUserIds.every(isLogtoId)) {
        throw invalid('addedUserIds: expected an array of Logto user ids');
      }
      await this.reconciler.membersAdded(organizationId, payload.addedUserIds, payload.createdAt);
    }
  }

  /** An organization deleted or changed in Logto: its tenant is repaired or reported now, as the drift pass would. */
  private async organizationChanged(payload: LogtoHookPayload): Promise<void> {
    const organizationId = idFrom('params.id', payload.params.id, isRecord(payload.data) ? payload.data.id : undefined);
    await this.reconciler.reconcileOrganization(organizationId);
  }

  /**
   * A role's scopes changed: no organization role may carry a platform:* scope (the bootstrap's rule). Logged as an
   * alert by the reconciler and counted in cameleer_logto_alerts_total; nothing is changed in Logto.
   */
  private async organizationRoleScopesUpdated(): Promise<void> {
    const offending = await this.reconciler.checkOrganizationRoles();
    this.alerts.platform_scoped_role += offending.length;
  }

  /** A deleted user's tokens are refused everywhere (Logto has ended their sessions; their tokens live on). */
  private async userDeleted(payload: LogtoHookPayload): Promise<void> {
    const userId = idFrom('params.userId', payload.params.userId, isRecord(payload.data) ? payload.data.id : undefined);
    await this.revocations.revokeUser({ userId, reason: 'user_deleted' });
  }

  /** A suspended user's tokens are refused everywhere; lifting a suspension needs nothing (older tokens stay refused). */
  private async userSuspensionUpdated(payload: LogtoHookPayload): Promise<void> {
    const user = payload.data;
    if (!isRecord(user) || typeof user.isSuspended !== 'boolean') {
      throw invalid('data.isSuspended: expected the user Logto answered, with a boolean isSuspended');
    }
    const userId = idFrom('params.userId', payload.params.userId, user.id);
    if (user.isSuspended) {
      await this.revocations.revokeUser({ userId, reason: 'user_suspended' });
    }
  }
}
