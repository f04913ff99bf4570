import type { OrganizationRole } from '@app/logto-client';
import { assertKeepsAnOwner, RoleRules } from './role-rules';

const role = (name: string, scopes: string[], extra: Partial<OrganizationRole> = {}): OrganizationRole => ({
  tenantId: 'default',
  id: `id-${name}`,
  name,
  description: null,
  type: 'User',
  scopes: [],
  resourceScopes: scopes.map((scope) => ({ id: `s-${scope}`, name: scope, resource: { id: 'api', name: 'API' } })),
  ...extra,
});

const rules = new RoleRules([
  role('owner', ['tenant:read', 'tenant:admin']),
  role('admin', ['tenant:read', 'tenant:admin']),
  role('member', ['tenant:read']),
  role('billing', ['tenant:read', 'tenant:billing']),
  role('rogue', ['platform:write']),
  role('template', [], { scopes: [{ id: 'o1', name: 'read:data' }] }),
  role('tenant-automation', ['tenant:read', 'tenant:admin'], { type: 'MachineToMachine' }),
]);
const admin = { operator: false, scopes: new Set(['tenant:read', 'tenant:admin']) };
const operator = { operator: true, scopes: new Set(['platform:read', 'platform:write']) };

describe('RoleRules', () => {
  it('resolves User roles by name, in order and without repeats', () => {
    expect(rules.resolve(['member', 'admin', 'member']).map((resolved) => resolved.id)).toEqual(['id-member', 'id-admin']);
  });

  it('refuses unknown names and machine-to-machine roles, naming the valid ones', () => {
    for (const names of [['wizard'], ['member', 'tenant-automation']]) {
      expect(() => rules.resolve(names)).toThrow(expect.objectContaining({ code: 'UNKNOWN_ROLE', detail: expect.stringContaining('valid roles: admin, billing, member, owner, rogue, template') }));
    }
  });

  it('never grants a role carrying a platform scope, whoever asks', () => {
    expect(() => rules.assertNoPlatformScope(rules.resolve(['member', 'rogue']))).toThrow(expect.objectContaining({ code: 'PLATFORM_SCOPED_ROLE' }));
    expect(() => rules.assertNoPlatformScope(rules.resolve(['owner', 'member']))).not.toThrow();
  });

  it('lets a caller change only roles whose scopes they hold; operators any', () => {
    expect(() => rules.assertWithinReach(['owner', 'admin', 'member'], admin)).not.toThrow();
    expect(() => rules.assertWithinReach(['billing'], admin)).toThrow(expect.objectContaining({ code: 'ROLE_ABOVE_CALLER', detail: expect.stringContaining('tenant:billing') }));
    // Organization (template) scopes never appear in an API token: only operators may grant such a role.
    expect(() => rules.assertWithinReach(['template'], admin)).toThrow(expect.objectContaining({ code: 'ROLE_ABOVE_CALLER' }));
    expect(() => rules.assertWithinReach(['member'], { operator: false, scopes: new Set(['tenant:admin']) })).toThrow(expect.objectContaining({ code: 'ROLE_ABOVE_CALLER' }));
    expect(() => rules.assertWithinReach(['billing', 'template'], operator)).not.toThrow();
    // A role Logto no longer has carries no scope: taking it away is not an escalation.
    expect(() => rules.assertWithinReach(['deleted-meanwhile'], admin)).not.toThrow();
  });

  it('keeps an owner: refuses a change that leaves none, only when there was one', () => {
    expect(() => assertKeepsAnOwner(1, 0)).toThrow(expect.objectContaining({ code: 'LAST_OWNER' }));
    expect(() => assertKeepsAnOwner(2, 1)).not.toThrow();
    expect(() => assertKeepsAnOwner(0, 0)).not.toThrow();
  });
});
