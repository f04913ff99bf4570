import type { Principal } from '@app/security';
import { ForwardAuthCaches, NO_SUCH_TENANT, TenantSnapshot } from './forward-auth.caches';
import type { ForwardAuthConfig } from './forward-auth.config';

const config: ForwardAuthConfig = { tokenCacheMax: 3, cacheTtlMs: 30_000, noTenantTtlMs: 5_000, unknownTenantsPerMinute: 2, host: '127.0.0.1' };
const acme: TenantSnapshot = { id: 't-acme', slug: 'acme', status: 'ACTIVE', organizationId: 'org-acme' };

function user(subject: string, expiresInMs = 3_600_000): Principal {
  return { scheme: 'logto', kind: 'user', subject, clientId: 'c', scopes: new Set(['tenant:read']), expiresAt: new Date(Date.now() + expiresInMs) };
}

describe('ForwardAuthCaches', () => {
  beforeEach(() => jest.useFakeTimers({ now: new Date('2026-01-01T00:00:00Z') }));
  afterEach(() => jest.useRealTimers());

  describe('token cache', () => {
    it('keeps a principal until the hard TTL, and never past its token', () => {
      const caches = new ForwardAuthCaches(config);
      caches.storeToken(caches.currentEpoch(), 'long', user('a'));
      caches.storeToken(caches.currentEpoch(), 'short', user('b', 1_000));
      jest.advanceTimersByTime(1_001);
      expect(caches.token('long')?.subject).toBe('a');
      expect(caches.token('short')).toBeUndefined();
      jest.advanceTimersByTime(30_000);
      expect(caches.token('long')).toBeUndefined();
    });

    it('holds at most FORWARD_AUTH_TOKEN_CACHE_MAX principals, dropping the least recently used', () => {
      const caches = new ForwardAuthCaches(config);
      for (const key of ['a', 'b', 'c']) {
        caches.storeToken(caches.currentEpoch(), key, user(key));
      }
      caches.token('a');
      caches.storeToken(caches.currentEpoch(), 'd', user('d'));
      expect(caches.token('b')).toBeUndefined();
      expect(['a', 'c', 'd'].map((key) => caches.token(key)?.subject)).toEqual(['a', 'c', 'd']);
    });

    it('caches nothing when FORWARD_AUTH_TOKEN_CACHE_MAX is 0', () => {
      const caches = new ForwardAuthCaches({ ...config, tokenCacheMax: 0 });
      caches.storeToken(caches.currentEpoch(), 'a', user('a'));
      expect(caches.token('a')).toBeUndefined();
    });
  });

  describe('tenant cache', () => {
    it('keeps a snapshot for the hard TTL and "no such tenant" only for FORWARD_AUTH_NO_TENANT_TTL_MS', () => {
      const caches = new ForwardAuthCaches(config);
      caches.storeTenant(caches.currentEpoch(), 'acme', acme);
      caches.storeTenant(caches.currentEpoch(), 'initech', NO_SUCH_TENANT);
      expect(caches.tenant('initech')).toBe(NO_SUCH_TENANT);
      jest.advanceTimersByTime(5_001);
      expect(caches.tenant('initech')).toBeUndefined();
      expect(caches.tenant('acme')).toBe(acme);
      jest.advanceTimersByTime(25_000);
      expect(caches.tenant('acme')).toBeUndefined();
    });
  });

  describe('agent-status answers', () => {
    it('answer only for the tenant they were asked for', () => {
      const caches = new ForwardAuthCaches(config);
      caches.storeAgent(caches.currentEpoch(), 'agent-1', { tenantId: 't-acme', active: true });
      expect(caches.agent('agent-1', 't-acme')).toBe(true);
      expect(caches.agent('agent-1', 't-globex')).toBeUndefined();
    });
  });

  describe('epoch', () => {
    it('does not cache what a verification or load produced when an invalidation happened after it started', () => {
      const caches = new ForwardAuthCaches(config);
      const started = caches.currentEpoch();
      caches.invalidate(() => undefined);
      caches.storeToken(started, 'a', user('a'));
      caches.storeTenant(started, 'acme', acme);
      caches.storeAgent(started, 'agent-1', { tenantId: 't-acme', active: true });
      expect(caches.token('a')).toBeUndefined();
      expect(caches.tenant('acme')).toBeUndefined();
      expect(caches.agent('agent-1', 't-acme')).toBeUndefined();
      caches.storeTenant(caches.currentEpoch(), 'acme', acme);
      expect(caches.tenant('acme')).toBe(acme);
    });
  });

  describe('switched off (change channel lost)', () => {
    it('flushes everything at once, reads and stores nothing until switched back on', () => {
      const caches = new ForwardAuthCaches(config);
      caches.storeToken(caches.currentEpoch(), 'a', user('a'));
      caches.storeTenant(caches.currentEpoch(), 'acme', acme);
      caches.storeAgent(caches.currentEpoch(), 'agent-1', { tenantId: 't-acme', active: true });

      caches.setEnabled(false);
      expect([caches.tokens.size, caches.tenants.size, caches.agents.size]).toEqual([0, 0, 0]);
      caches.storeToken(caches.currentEpoch(), 'a', user('a'));
      caches.storeTenant(caches.currentEpoch(), 'acme', acme);
      expect(caches.token('a')).toBeUndefined();
      expect(caches.tenant('acme')).toBeUndefined();

      // A load that started while off is not cached once back on either.
      const startedWhileOff = caches.currentEpoch();
      caches.setEnabled(true);
      caches.storeTenant(startedWhileOff, 'acme', acme);
      expect(caches.tenant('acme')).toBeUndefined();
      caches.storeTenant(caches.currentEpoch(), 'acme', acme);
      expect(caches.tenant('acme')).toBe(acme);
    });
  });

  describe('unknown-tenant lookups per caller', () => {
    it('allows FORWARD_AUTH_UNKNOWN_TENANTS_PER_MINUTE per caller and minute', () => {
      const caches = new ForwardAuthCaches(config);
      caches.countUnknownTenantLookup('logto:mallory');
      expect(caches.mayLookUpUnknownTenants('logto:mallory')).toBe(true);
      caches.countUnknownTenantLookup('logto:mallory');
      expect(caches.mayLookUpUnknownTenants('logto:mallory')).toBe(false);
      expect(caches.mayLookUpUnknownTenants('logto:alice')).toBe(true);
      // Invalidations and channel loss do not reset it.
      caches.setEnabled(false);
      caches.setEnabled(true);
      expect(caches.mayLookUpUnknownTenants('logto:mallory')).toBe(false);
      jest.advanceTimersByTime(60_001);
      expect(caches.mayLookUpUnknownTenants('logto:mallory')).toBe(true);
    });
  });
});
