import { toProblem } from '@app/service-core';
import { AccessDenial, AccessRequirement, evaluateAccess, requirementOf } from './evaluate-access';
import { LogtoPrincipal, MachinePrincipal, Principal } from './principal';
import { bearerChallenge, securityErrorFor } from './security-errors';
import { TenantAccessFacts, TenantState } from './tenant-access';

const TENANT_ID = '7c2b1b9e-0f51-4c1e-9b7e-3d1f0c0a1a01';
const OTHER_TENANT_ID = '7c2b1b9e-0f51-4c1e-9b7e-3d1f0c0a1a02';
const ORG = 'org-acme';
const OTHER_ORG = 'org-globex';
const EXPIRES = new Date('2030-01-01T00:00:00Z');

function user(scopes: string[], organizationId?: string): LogtoPrincipal {
  return { scheme: 'logto', kind: 'user', subject: 'u-1', clientId: 'spa', scopes: new Set(scopes), organizationId, expiresAt: EXPIRES };
}
function machine(kind: MachinePrincipal['kind'], tenantId: string): MachinePrincipal {
  return { scheme: 'machine', kind, subject: 'a-1', tenantId, tokenId: 'j-1', expiresAt: EXPIRES };
}

const PRINCIPALS: Record<string, Principal> = {
  'user token, no organization, no platform scope': user(['tenant:read', 'tenant:admin']),
  'operator platform:read': user(['platform:read']),
  'operator platform:write': user(['platform:write']),
  'operator platform:read + platform:write': user(['platform:read', 'platform:write']),
  'M2M app platform:read': { ...user(['platform:read']), kind: 'app', subject: 'm2m', clientId: 'm2m' },
  'member tenant:read': user(['tenant:read'], ORG),
  'member tenant:admin': user(['tenant:admin'], ORG),
  'member tenant:read + tenant:admin': user(['tenant:read', 'tenant:admin'], ORG),
  'member without tenant scopes': user([], ORG),
  'member claiming platform scopes': user(['platform:read', 'platform:write'], ORG),
  'member of another organization': user(['tenant:read', 'tenant:admin'], OTHER_ORG),
  'agent token of the tenant': machine('agent', TENANT_ID),
  'agent token of another tenant': machine('agent', OTHER_TENANT_ID),
  'bootstrap token of the tenant': machine('agent-bootstrap', TENANT_ID),
};

const REQUIREMENTS: Record<string, AccessRequirement> = {
  'Authorize platform:read | tenant:read': requirementOf({ scheme: 'logto', platform: 'platform:read', tenant: 'tenant:read' }),
  'Authorize platform:write | tenant:admin': requirementOf({ scheme: 'logto', platform: 'platform:write', tenant: 'tenant:admin' }),
  'Authorize platform:write': requirementOf({ scheme: 'logto', platform: 'platform:write' }),
  Authenticated: requirementOf({ scheme: 'logto' }),
  'MachineAuth agent': requirementOf({ scheme: 'machine', kinds: ['agent'] }),
  'MachineAuth agent-bootstrap': requirementOf({ scheme: 'machine', kinds: ['agent-bootstrap'] }),
  'forward-auth': { logto: { platform: 'platform:read', tenant: 'tenant:read' }, machine: ['agent'], tenant: { mustBeActive: true } },
};

type Column = 'missing' | TenantState;
const COLUMNS: readonly Column[] = ['missing', 'PROVISIONING', 'ACTIVE', 'SUSPENDED', 'DELETED'];

/**
 * The decision table: per requirement and principal, the answer for each tenant state in the order
 * of COLUMNS (one answer when the requirement is about no tenant). An answer is `allow`, a status and
 * code, and for 403 INSUFFICIENT_SCOPE the scope named in the challenge.
 */
const TABLE: Record<string, Record<string, string>> = {
  'Authorize platform:read | tenant:read': {
    'user token, no organization, no platform scope': '404 NOT_FOUND',
    'operator platform:read': '404 NOT_FOUND | allow | allow | allow | allow',
    'operator platform:write': '403 INSUFFICIENT_SCOPE platform:read',
    'operator platform:read + platform:write': '404 NOT_FOUND | allow | allow | allow | allow',
    'M2M app platform:read': '404 NOT_FOUND | allow | allow | allow | allow',
    'member tenant:read': '404 NOT_FOUND | allow | allow | allow | 404 NOT_FOUND',
    'member tenant:admin': '404 NOT_FOUND | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 404 NOT_FOUND',
    'member tenant:read + tenant:admin': '404 NOT_FOUND | allow | allow | allow | 404 NOT_FOUND',
    'member without tenant scopes': '404 NOT_FOUND | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 404 NOT_FOUND',
    'member claiming platform scopes': '404 NOT_FOUND | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 404 NOT_FOUND',
    'member of another organization': '404 NOT_FOUND',
    'agent token of the tenant': '401 WRONG_TOKEN_KIND',
    'agent token of another tenant': '401 WRONG_TOKEN_KIND',
    'bootstrap token of the tenant': '401 WRONG_TOKEN_KIND',
  },
  'Authorize platform:write | tenant:admin': {
    'user token, no organization, no platform scope': '404 NOT_FOUND',
    'operator platform:read': '403 INSUFFICIENT_SCOPE platform:write',
    'operator platform:write': '404 NOT_FOUND | allow | allow | allow | allow',
    'operator platform:read + platform:write': '404 NOT_FOUND | allow | allow | allow | allow',
    'M2M app platform:read': '403 INSUFFICIENT_SCOPE platform:write',
    'member tenant:read': '404 NOT_FOUND | 403 INSUFFICIENT_SCOPE tenant:admin | 403 INSUFFICIENT_SCOPE tenant:admin | 403 INSUFFICIENT_SCOPE tenant:admin | 404 NOT_FOUND',
    'member tenant:admin': '404 NOT_FOUND | allow | allow | allow | 404 NOT_FOUND',
    'member tenant:read + tenant:admin': '404 NOT_FOUND | allow | allow | allow | 404 NOT_FOUND',
    'member without tenant scopes': '404 NOT_FOUND | 403 INSUFFICIENT_SCOPE tenant:admin | 403 INSUFFICIENT_SCOPE tenant:admin | 403 INSUFFICIENT_SCOPE tenant:admin | 404 NOT_FOUND',
    'member claiming platform scopes': '404 NOT_FOUND | 403 INSUFFICIENT_SCOPE tenant:admin | 403 INSUFFICIENT_SCOPE tenant:admin | 403 INSUFFICIENT_SCOPE tenant:admin | 404 NOT_FOUND',
    'member of another organization': '404 NOT_FOUND',
    'agent token of the tenant': '401 WRONG_TOKEN_KIND',
    'agent token of another tenant': '401 WRONG_TOKEN_KIND',
    'bootstrap token of the tenant': '401 WRONG_TOKEN_KIND',
  },
  'Authorize platform:write': {
    'user token, no organization, no platform scope': '403 INSUFFICIENT_SCOPE platform:write',
    'operator platform:read': '403 INSUFFICIENT_SCOPE platform:write',
    'operator platform:write': 'allow',
    'operator platform:read + platform:write': 'allow',
    'M2M app platform:read': '403 INSUFFICIENT_SCOPE platform:write',
    'member tenant:read': '403 INSUFFICIENT_SCOPE platform:write',
    'member tenant:admin': '403 INSUFFICIENT_SCOPE platform:write',
    'member tenant:read + tenant:admin': '403 INSUFFICIENT_SCOPE platform:write',
    'member without tenant scopes': '403 INSUFFICIENT_SCOPE platform:write',
    'member claiming platform scopes': '403 INSUFFICIENT_SCOPE platform:write',
    'member of another organization': '403 INSUFFICIENT_SCOPE platform:write',
    'agent token of the tenant': '401 WRONG_TOKEN_KIND',
    'agent token of another tenant': '401 WRONG_TOKEN_KIND',
    'bootstrap token of the tenant': '401 WRONG_TOKEN_KIND',
  },
  Authenticated: {
    'user token, no organization, no platform scope': 'allow',
    'operator platform:read': 'allow',
    'operator platform:write': 'allow',
    'operator platform:read + platform:write': 'allow',
    'M2M app platform:read': 'allow',
    'member tenant:read': 'allow',
    'member tenant:admin': 'allow',
    'member tenant:read + tenant:admin': 'allow',
    'member without tenant scopes': 'allow',
    'member claiming platform scopes': 'allow',
    'member of another organization': 'allow',
    'agent token of the tenant': '401 WRONG_TOKEN_KIND',
    'agent token of another tenant': '401 WRONG_TOKEN_KIND',
    'bootstrap token of the tenant': '401 WRONG_TOKEN_KIND',
  },
  'MachineAuth agent': {
    'user token, no organization, no platform scope': '401 WRONG_TOKEN_KIND',
    'operator platform:read': '401 WRONG_TOKEN_KIND',
    'operator platform:write': '401 WRONG_TOKEN_KIND',
    'operator platform:read + platform:write': '401 WRONG_TOKEN_KIND',
    'M2M app platform:read': '401 WRONG_TOKEN_KIND',
    'member tenant:read': '401 WRONG_TOKEN_KIND',
    'member tenant:admin': '401 WRONG_TOKEN_KIND',
    'member tenant:read + tenant:admin': '401 WRONG_TOKEN_KIND',
    'member without tenant scopes': '401 WRONG_TOKEN_KIND',
    'member claiming platform scopes': '401 WRONG_TOKEN_KIND',
    'member of another organization': '401 WRONG_TOKEN_KIND',
    // Not about a tenant: the agents service answers for the agent's own tenant.
    'agent token of the tenant': 'allow',
    'agent token of another tenant': 'allow',
    'bootstrap token of the tenant': '401 WRONG_TOKEN_KIND',
  },
  'MachineAuth agent-bootstrap': {
    'user token, no organization, no platform scope': '401 WRONG_TOKEN_KIND',
    'operator platform:read': '401 WRONG_TOKEN_KIND',
    'operator platform:write': '401 WRONG_TOKEN_KIND',
    'operator platform:read + platform:write': '401 WRONG_TOKEN_KIND',
    'M2M app platform:read': '401 WRONG_TOKEN_KIND',
    'member tenant:read': '401 WRONG_TOKEN_KIND',
    'member tenant:admin': '401 WRONG_TOKEN_KIND',
    'member tenant:read + tenant:admin': '401 WRONG_TOKEN_KIND',
    'member without tenant scopes': '401 WRONG_TOKEN_KIND',
    'member claiming platform scopes': '401 WRONG_TOKEN_KIND',
    'member of another organization': '401 WRONG_TOKEN_KIND',
    'agent token of the tenant': '401 WRONG_TOKEN_KIND',
    'agent token of another tenant': '401 WRONG_TOKEN_KIND',
    'bootstrap token of the tenant': 'allow',
  },
  'forward-auth': {
    'user token, no organization, no platform scope': '404 NOT_FOUND',
    'operator platform:read': '404 NOT_FOUND | 403 TENANT_PROVISIONING | allow | 403 TENANT_SUSPENDED | 403 TENANT_DELETED',
    // An operator is known to the platform: told the missing scope, as by the guard.
    'operator platform:write': '403 INSUFFICIENT_SCOPE platform:read',
    'operator platform:read + platform:write': '404 NOT_FOUND | 403 TENANT_PROVISIONING | allow | 403 TENANT_SUSPENDED | 403 TENANT_DELETED',
    'M2M app platform:read': '404 NOT_FOUND | 403 TENANT_PROVISIONING | allow | 403 TENANT_SUSPENDED | 403 TENANT_DELETED',
    'member tenant:read': '404 NOT_FOUND | 403 TENANT_PROVISIONING | allow | 403 TENANT_SUSPENDED | 404 NOT_FOUND',
    'member tenant:admin': '404 NOT_FOUND | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 404 NOT_FOUND',
    'member tenant:read + tenant:admin': '404 NOT_FOUND | 403 TENANT_PROVISIONING | allow | 403 TENANT_SUSPENDED | 404 NOT_FOUND',
    'member without tenant scopes': '404 NOT_FOUND | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 404 NOT_FOUND',
    'member claiming platform scopes': '404 NOT_FOUND | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 403 INSUFFICIENT_SCOPE tenant:read | 404 NOT_FOUND',
    'member of another organization': '404 NOT_FOUND',
    'agent token of the tenant': '404 NOT_FOUND | 403 TENANT_PROVISIONING | allow | 403 TENANT_SUSPENDED | 404 NOT_FOUND',
    'agent token of another tenant': '404 NOT_FOUND',
    'bootstrap token of the tenant': '401 WRONG_TOKEN_KIND',
  },
};

function tenantIn(column: Column): TenantAccessFacts | undefined {
  return column === 'missing' ? undefined : { id: TENANT_ID, status: column, organizationId: ORG };
}

function answer(principal: Principal, requirement: AccessRequirement, tenant: TenantAccessFacts | undefined): string {
  const verdict = evaluateAccess(principal, requirement, tenant);
  if (verdict.allow) {
    return 'allow';
  }
  const problem = toProblem(securityErrorFor(verdict));
  const scope = /scope="([^"]+)"/.exec(problem.headers['www-authenticate'] ?? '')?.[1];
  return [problem.status, problem.code, scope].filter((part) => part !== undefined).join(' ');
}

const CASES = Object.entries(TABLE).flatMap(([requirementName, rows]) =>
  Object.entries(rows).flatMap(([principalName, expected]) => {
    const answers = expected.split(' | ');
    const requirement = REQUIREMENTS[requirementName] as AccessRequirement;
    return COLUMNS.map((column, index) => {
      const expectedAnswer = answers.length === 1 ? answers[0] : answers[index];
      return [requirementName, principalName, column, expectedAnswer, requirement] as const;
    });
  }),
);

describe('evaluateAccess: the decision table', () => {
  it('covers every principal kind for every requirement, with one answer or one per tenant state', () => {
    for (const [requirementName, rows] of Object.entries(TABLE)) {
      expect(Object.keys(rows).sort()).toEqual(Object.keys(PRINCIPALS).sort());
      for (const expected of Object.values(rows)) {
        expect([1, COLUMNS.length]).toContain(expected.split(' | ').length);
      }
      expect(REQUIREMENTS[requirementName]).toBeDefined();
    }
    expect(Object.keys(TABLE).sort()).toEqual(Object.keys(REQUIREMENTS).sort());
  });

  it.each(CASES)('%s, %s, tenant %s → %s', (_requirementName, principalName, column, expected, requirement) => {
    expect(answer(PRINCIPALS[principalName] as Principal, requirement, tenantIn(column))).toBe(expected);
  });

  it('is about the tenant passed in: a tenant without a Logto organization has no members yet', () => {
    const provisioning: TenantAccessFacts = { id: TENANT_ID, status: 'PROVISIONING', organizationId: null };
    const requirement = REQUIREMENTS['Authorize platform:read | tenant:read'] as AccessRequirement;
    expect(answer(user(['tenant:read'], ORG), requirement, provisioning)).toBe('404 NOT_FOUND');
    expect(answer(user(['platform:read']), requirement, provisioning)).toBe('allow');
  });
});

describe('securityErrorFor', () => {
  const description = (header: string | undefined) => /error_description="([^"]*)"$/.exec(header ?? '')?.[1];

  it('answers 401 with the RFC 6750 challenges and 403 with the missing scope, the detail as error_description', () => {
    expect(toProblem(securityErrorFor({ allow: false, reason: 'no_token' }))).toMatchObject({ status: 401, code: 'UNAUTHORIZED', headers: { 'www-authenticate': 'Bearer' } });
    const cases: [AccessDenial, number, string, RegExp][] = [
      [{ allow: false, reason: 'malformed_header' }, 401, 'INVALID_TOKEN', /^Bearer error="invalid_token", error_description=/],
      [{ allow: false, reason: 'invalid_token' }, 401, 'INVALID_TOKEN', /^Bearer error="invalid_token", error_description="The bearer token is not valid here\."$/],
      [{ allow: false, reason: 'token_not_accepted' }, 401, 'WRONG_TOKEN_KIND', /^Bearer error="invalid_token", error_description=/],
      [{ allow: false, reason: 'token_expired', kind: 'logto' }, 401, 'TOKEN_EXPIRED', /Logto access token.*has expired: request a new one from Logto/],
      [{ allow: false, reason: 'token_expired', kind: 'agent' }, 401, 'TOKEN_EXPIRED', /agent access token.*POST \/api\/agents\/token/],
      [{ allow: false, reason: 'organization_token', audience: 'https://api.example' }, 401, 'ORGANIZATION_TOKEN', /resource=https:\/\/api\.example and organization_id=/],
      [{ allow: false, reason: 'wrong_audience', audience: 'https://api.example' }, 401, 'WRONG_AUDIENCE', /one for https:\/\/api\.example\./],
      [{ allow: false, reason: 'insufficient_scope', scope: 'tenant:admin' }, 403, 'INSUFFICIENT_SCOPE', /^Bearer error="insufficient_scope", scope="tenant:admin", error_description="This call needs the tenant:admin scope\."$/],
    ];
    for (const [denial, status, code, challenge] of cases) {
      const problem = toProblem(securityErrorFor(denial));
      const header = problem.headers['www-authenticate'];
      expect({ reason: denial.reason, status: problem.status, code: problem.code }).toEqual({ reason: denial.reason, status, code });
      expect(header).toMatch(challenge);
      // RFC 6750 §3: error_description is %x20-21 / %x23-5B / %x5D-7E; here it is the detail itself.
      expect(description(header)).toBe(problem.detail);
      expect(problem.detail).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]+$/);
    }
    expect(toProblem(securityErrorFor({ allow: false, reason: 'not_declared' }))).toMatchObject({ status: 403, code: 'ACCESS_NOT_DECLARED' });
    expect(toProblem(securityErrorFor({ allow: false, reason: 'not_found' }))).toMatchObject({ status: 404, code: 'NOT_FOUND', headers: {} });
  });

  it('names the kind a call takes and the kind that was sent', () => {
    expect(securityErrorFor({ allow: false, reason: 'token_not_accepted', sent: 'agent-bootstrap', accepted: ['logto', 'agent'] }).detail).toBe(
      'This call takes a Logto access token for this API or an agent access token; an agent bootstrap token was sent.',
    );
    expect(securityErrorFor({ allow: false, reason: 'token_not_accepted', accepted: ['logto'] }).detail).toMatch(/^This call takes a Logto access token for this API; a token of none of these kinds/);
  });
});

describe('bearerChallenge', () => {
  it('keeps the description inside the characters RFC 6750 allows', () => {
    expect(bearerChallenge('invalid_token', 'say "hi" \\ to the café\n')).toBe('Bearer error="invalid_token", error_description="say  hi    to the caf  "');
  });
});
