import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { ChangedBy } from '@app/security';
import { Tenant } from './tenant.entity';

/** What a participant does once its transaction committed (in-process notifications: caches, other replicas). */
export type AfterCommit = () => void;

/**
 * A part of the platform that holds something of a tenant (licenses, agents, browser sessions) and must act when
 * the tenant is deleted or purged. The dependency direction (tenants ← licensing ← agents) keeps the tenants lib
 * from calling them: they register here, and the tenants lib runs them.
 */
export interface TenantRetirementParticipant {
  /** A stable name: it is the purge step recorded in the tenant row (tenants.purge_steps) once done. */
  readonly name: string;
  /**
   * At DELETE, inside the transaction that marks the tenant DELETED (the row is locked by it): stop what the tenant
   * holds from working (revoke, disable), with its own audit records and feed events in `tx`. Kept, not removed:
   * a restore finds it (still stopped). Idempotent.
   */
  retire(tenant: Tenant, by: ChangedBy, tx: EntityManager): Promise<AfterCommit | void>;
  /**
   * At purge, in a transaction of its own that also records the step: remove what must not outlive the tenant.
   * Idempotent (a purge resumed after a crash may run it again only if its step was not recorded).
   */
  purge(tenant: Tenant, tx: EntityManager): Promise<AfterCommit | void>;
  /**
   * For a restore, in its transaction, before the tenant (still DELETED, `deletedAt` set) is restored: what the
   * delete stopped that stays stopped, and what an operator does about it; undefined when nothing is.
   */
  describeStopped(tenant: Tenant, tx: EntityManager): Promise<StillStopped | undefined>;
}

/** A kind of thing a restored tenant gets back stopped, and what an operator does about it. */
export interface StillStopped {
  /** The participant that stopped it at delete (its name): `licensing`, `agents`… */
  readonly kind: string;
  /** How many stay stopped. */
  readonly count: number;
  /** What an operator does to undo it, in words and routes. */
  readonly action: string;
}

/** The participants, registered at module init by the libs and the app that hold a tenant's things. */
@Injectable()
export class TenantRetirement {
  private readonly registered: TenantRetirementParticipant[] = [];

  register(participant: TenantRetirementParticipant): void {
    if (this.registered.some((existing) => existing.name === participant.name)) {
      throw new Error(`a tenant retirement participant named "${participant.name}" is registered already`);
    }
    this.registered.push(participant);
  }

  get participants(): readonly TenantRetirementParticipant[] {
    return this.registered;
  }

  /** Runs every participant's retire in `tx`; returns what to run after the commit. */
  async retire(tenant: Tenant, by: ChangedBy, tx: EntityManager): Promise<AfterCommit[]> {
    const after: AfterCommit[] = [];
    for (const participant of this.registered) {
      const then = await participant.retire(tenant, by, tx);
      if (then !== undefined) {
        after.push(then);
      }
    }
    return after;
  }

  /** What every participant reports as still stopped for a restore (see describeStopped). */
  async describeStopped(tenant: Tenant, tx: EntityManager): Promise<StillStopped[]> {
    const stopped: StillStopped[] = [];
    for (const participant of this.registered) {
      const item = await participant.describeStopped(tenant, tx);
      if (item !== undefined) {
        stopped.push(item);
      }
    }
    return stopped;
  }
}
