import { LicenseEvents } from '@app/licensing';
import type { PrincipalRevocations, Principal, Revocation } from '@app/security';
import { Change, ChangeBus, EventChannel } from '@app/service-core';
import { TenantEvents } from '@app/tenants';
import type { AgentStatus } from './agent-status';
import { ForwardAuthCaches, NO_SUCH_TENANT, TenantSnapshot } from './forward-auth.caches';
import type { ForwardAuthConfig } from './forward-auth.config';
import type { IdentityAssertionSigner } from './identity-assertion';
import { AGENT_DISABLED, applyChange, applyRevocation, ForwardAuthInvalidation, LICENSE_CHANGED, TENANT_CHANGED } from './invalidation';

const config: ForwardAuthConfig = { tokenCacheMax: 100, cacheTtlMs: 30_000, noTenantTtlMs: 5_000, unknownTenantsPerMinute: 10, host: '127.0.0.1' };
const hour = () => new Date(Date.now() + 3_600_000);
const snapshot = (id: string, slug: string): TenantSnapshot => ({ id, slug, status: 'ACTIVE', organizationId: `org-${slug}` });
const member: Principal = { scheme: 'logto', kind: 'user', subject: 'alice', clientId: 'c', scopes: new Set(['tenant:read']), organizationId: 'org-acme', expiresAt: hour() };
const agent = (subject: string): Principal => ({ scheme: 'machine', kind: 'agent', subject, tenantId: 't-acme', tokenId: `jti-${subject}`, expiresAt: hour() });

/** Every cache filled: two tenants, one unknown slug, three tokens (a user and two agents), two agent answers. */
function filled(caches = new ForwardAuthCaches(config)): ForwardAuthCaches {
  const epoch = caches.currentEpoch();
  caches.storeTenant(epoch, 'acme', snapshot('t-acme', 'acme'));
  caches.storeTenant(epoch, 'globex', snapshot('t-globex', 'globex'));
  caches.storeTenant(epoch, 'initech', NO_SUCH_TENANT);
  caches.storeToken(epoch, 'token-alice', member);
  caches.storeToken(epoch, 'token-agent-1', agent('agent-1'));
  caches.storeToken(epoch, 'token-agent-2', agent('agent-2'));
  caches.storeAgent(epoch, 'agent-1', { tenantId: 't-acme', active: true });
  caches.storeAgent(epoch, 'agent-2', { tenantId: 't-acme', active: true });
  return caches;
}

const contents = (caches: ForwardAuthCaches) => ({
  tenants: [...caches.tenants.keys()].sort(),
  tokens: [...caches.tokens.keys()].sort(),
  agents: [...caches.agents.keys()].sort(),
});
const everything = contents(filled());

describe('the invalidation rule', () => {
  it('a tenant change drops that tenant and every "no such tenant" answer, nothing else', () => {
    const caches = filled();
    applyChange(caches, { topic: TENANT_CHANGED, id: 't-acme' });
    expect(contents(caches)).toEqual({ ...everything, tenants: ['globex'] });
  });

  it('a license change drops that tenant only', () => {
    const caches = filled();
    applyChange(caches, { topic: LICENSE_CHANGED, id: 't-globex' });
    expect(contents(caches)).toEqual({ ...everything, tenants: ['acme', 'initech'] });
  });

  it("an agent disable drops that agent's status answer and its tokens, nothing else", () => {
    const caches = filled();
    applyChange(caches, { topic: AGENT_DISABLED, id: 'agent-1' });
    expect(contents(caches)).toEqual({ ...everything, tokens: ['token-agent-2', 'token-alice'], agents: ['agent-2'] });
  });

  it('a topic it does not know drops nothing and leaves the epoch alone', () => {
    const caches = filled();
    const epoch = caches.currentEpoch();
    applyChange(caches, { topic: 'something-else', id: 't-acme' });
    expect(contents(caches)).toEqual(everything);
    expect(caches.currentEpoch()).toBe(epoch);
  });

  it('each drop starts a new epoch: a load that started before it is not cached', () => {
    for (const change of [
      { topic: TENANT_CHANGED, id: 't-other' },
      { topic: LICENSE_CHANGED, id: 't-other' },
      { topic: AGENT_DISABLED, id: 'agent-other' },
    ]) {
      const caches = new ForwardAuthCaches(config);
      const started = caches.currentEpoch();
      applyChange(caches, change);
      caches.storeTenant(started, 'acme', snapshot('t-acme', 'acme'));
      caches.storeToken(started, 'token-agent-1', agent('agent-1'));
      expect(contents(caches)).toEqual({ tenants: [], tokens: [], agents: [] });
    }
  });
});

class FakeBus {
  connected = true;
  readonly published: Change[] = [];
  private readonly handlers = new Set<(change: Change) => void>();
  private readonly connectionHandlers = new Set<(connected: boolean) => void>();
  subscribe(handler: (change: Change) => void): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  onConnectionChange(handler: (connected: boolean) => void): () => void {
    this.connectionHandlers.add(handler);
    return () => this.connectionHandlers.delete(handler);
  }
  publish(change: Change): void {
    this.published.push(change);
    this.handlers.forEach((handler) => handler(change));
  }
  /** A change from another replica (NOTIFY): heard, not published. */
  deliver(change: Change): void {
    this.handlers.forEach((handler) => handler(change));
  }
  setConnected(connected: boolean): void {
    this.connected = connected;
    this.connectionHandlers.forEach((handler) => handler(connected));
  }
}

const revocation = (organizationId: string | null, userId = 'alice'): Revocation => ({
  organizationId,
  userId,
  reason: organizationId === null ? 'user_suspended' : 'member_removed',
  revokedAt: new Date(),
  expiresAt: hour(),
});

describe('the revocation row', () => {
  const assertions = () => {
    const forgotten: string[] = [];
    return { forgotten, signer: { forgetSubject: (subject: string) => forgotten.push(subject) } as unknown as IdentityAssertionSigner };
  };

  it("a membership revocation drops the user's tokens for that organization and their assertions, nothing else", () => {
    const caches = filled();
    const alsoGlobex: Principal = { ...member, organizationId: 'org-globex' };
    caches.storeToken(caches.currentEpoch(), 'token-alice-globex', alsoGlobex);
    const { forgotten, signer } = assertions();
    applyRevocation(caches, signer, revocation('org-acme'));
    expect(contents(caches)).toEqual({ ...everything, tokens: ['token-agent-1', 'token-agent-2', 'token-alice-globex'] });
    expect(forgotten).toEqual(['alice']);
  });

  it("a user-wide revocation drops every token of the user, another user's revocation none", () => {
    const caches = filled();
    caches.storeToken(caches.currentEpoch(), 'token-alice-globex', { ...member, organizationId: 'org-globex' });
    applyRevocation(caches, assertions().signer, revocation(null, 'bob'));
    expect(contents(caches).tokens).toEqual(['token-agent-1', 'token-agent-2', 'token-alice', 'token-alice-globex']);
    applyRevocation(caches, assertions().signer, revocation(null));
    expect(contents(caches).tokens).toEqual(['token-agent-1', 'token-agent-2']);
  });

  it('a verification that started before the revocation is not cached after it', () => {
    const caches = filled(new ForwardAuthCaches(config));
    const since = caches.currentEpoch();
    applyRevocation(caches, assertions().signer, revocation('org-acme'));
    caches.storeToken(since, 'token-alice', member);
    expect(caches.token('token-alice')).toBeUndefined();
  });
});

describe('ForwardAuthInvalidation', () => {
  function wired(connected = true) {
    const bus = new FakeBus();
    bus.connected = connected;
    const caches = new ForwardAuthCaches(config);
    const tenantEvents = new TenantEvents();
    const licenseEvents = new LicenseEvents();
    const disabled = new EventChannel<string>('AgentDisabled');
    const agentStatus: AgentStatus = { isActive: () => Promise.resolve(true), onDisabled: (listener) => disabled.on(listener) };
    const revoked = new EventChannel<Revocation>('Revoked');
    const revocations = { onRevoked: (listener: (revocation: Revocation) => void) => revoked.on(listener) } as unknown as PrincipalRevocations;
    const forgotten: string[] = [];
    const assertions = { forgetSubject: (subject: string) => forgotten.push(subject) } as unknown as IdentityAssertionSigner;
    const invalidation = new ForwardAuthInvalidation(caches, bus as unknown as ChangeBus, tenantEvents, licenseEvents, agentStatus, revocations, assertions);
    invalidation.onModuleInit();
    filled(caches);
    return { bus, caches, tenantEvents, licenseEvents, disabled, invalidation, revoked, forgotten };
  }

  it('publishes tenant, license and agent-disable events for every replica, and applies them here', () => {
    const { bus, caches, tenantEvents, licenseEvents, disabled } = wired();
    tenantEvents.emit({ type: 'status-changed', tenantId: 't-acme', organizationId: 'org-acme', from: 'ACTIVE', to: 'SUSPENDED' });
    licenseEvents.emit({ type: 'revoked', tenantId: 't-globex', licenseId: 'l-1' });
    disabled.emit('agent-1');
    expect(bus.published).toEqual([
      { topic: TENANT_CHANGED, id: 't-acme' },
      { topic: LICENSE_CHANGED, id: 't-globex' },
      { topic: AGENT_DISABLED, id: 'agent-1' },
    ]);
    expect(contents(caches)).toEqual({ tenants: [], tokens: ['token-agent-2', 'token-alice'], agents: ['agent-2'] });
  });

  it('applies every revocation it hears: the user\'s tokens and identity assertions are dropped', () => {
    const { caches, revoked, forgotten } = wired();
    revoked.emit(revocation('org-acme'));
    expect(contents(caches).tokens).toEqual(['token-agent-1', 'token-agent-2']);
    expect(forgotten).toEqual(['alice']);
  });

  it("applies other replicas' changes", () => {
    const { bus, caches } = wired();
    bus.deliver({ topic: TENANT_CHANGED, id: 't-globex' });
    expect(contents(caches).tenants).toEqual(['acme']);
  });

  it('losing the change channel flushes every cache and keeps them empty until it is back', () => {
    const { bus, caches } = wired();
    bus.setConnected(false);
    expect(contents(caches)).toEqual({ tenants: [], tokens: [], agents: [] });
    caches.storeTenant(caches.currentEpoch(), 'acme', snapshot('t-acme', 'acme'));
    expect(caches.tenant('acme')).toBeUndefined();
    bus.setConnected(true);
    caches.storeTenant(caches.currentEpoch(), 'acme', snapshot('t-acme', 'acme'));
    expect(caches.tenant('acme')).toEqual(snapshot('t-acme', 'acme'));
  });

  it('starts with caching off when the channel is not connected yet', () => {
    const { caches } = wired(false);
    expect(caches.enabled).toBe(false);
    expect(contents(caches)).toEqual({ tenants: [], tokens: [], agents: [] });
  });

  it('stops listening on shutdown', () => {
    const { bus, caches, invalidation } = wired();
    invalidation.onModuleDestroy();
    bus.deliver({ topic: TENANT_CHANGED, id: 't-acme' });
    expect(contents(caches).tenants).toEqual(['acme', 'globex', 'initech']);
  });
});
