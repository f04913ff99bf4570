import { decodeJwt } from 'jose';
import request from 'supertest';
import { ForwardAuthServer } from '@app/forward-auth';
import { startTenantsIdp, TenantsIdp } from '../support/tenant-fixtures';
import { startTestApp, TestApp } from '../support/test-app';

const BASE = 'tenants.scopeless.test';

/**
 * Issue 13 #2: Logto leaves `scope` out of a machine-to-machine token granted no scope. Such a caller is
 * authenticated and holds no scope: 403 insufficient_scope where one is needed, on the API and at forward-auth
 * (both ports). The tokens are issued over HTTP by the dev IdP, as Logto issues them (apps/dev-idp spec).
 */
describe('Logto tokens without a scope claim', () => {
  let logto: TenantsIdp;
  let testApp: TestApp;
  let operator: string;
  let tenant: { id: string; slug: string; organizationId: string };
  let machine: { clientId: string; clientSecret: string };

  const token = (options: { organizationId?: string; scope?: string } = {}) =>
    logto.idp.clientCredentialsToken({ ...machine, resource: logto.idp.apiResource, ...options });
  const api = (path: string, bearer: string) => request(testApp.server).get(path).auth(bearer, { type: 'bearer' });
  const verifyOnMainPort = (bearer: string) => api('/api/auth/verify', bearer).set('X-Forwarded-Host', `${tenant.slug}.${BASE}`);
  const verifyOnForwardAuthPort = (bearer: string) =>
    request(`http://127.0.0.1:${testApp.app.get(ForwardAuthServer).port}`)
      .get('/api/auth/verify')
      .set('X-Forwarded-Host', `${tenant.slug}.${BASE}`)
      .auth(bearer, { type: 'bearer' });

  beforeAll(async () => {
    logto = await startTenantsIdp();
    testApp = await startTestApp(logto.env({ TENANT_BASE_DOMAIN: BASE, FORWARD_AUTH_PORT: '0', FORWARD_AUTH_HOST: '127.0.0.1' }));
    operator = await logto.operatorToken();
    const posted = await request(testApp.server).post('/api/tenants').auth(operator, { type: 'bearer' }).send({ slug: 'scopeless', name: 'Scopeless' }).expect(201);
    tenant = { id: posted.body.id as string, slug: 'scopeless', organizationId: posted.body.logtoOrganizationId as string };
    machine = await logto.machineApp('scopeless machine');
  });
  afterAll(async () => {
    await testApp?.close();
    await logto?.stop();
  });

  it('authenticates an app granted no scope (no scope claim) and tells it 403 insufficient_scope on a platform route', async () => {
    const bearer = await token();
    expect(decodeJwt(bearer)).not.toHaveProperty('scope');

    const me = await api('/api/auth/me', bearer).expect(200);
    expect(me.body).toMatchObject({ kind: 'app', subject: machine.clientId, clientId: machine.clientId, scopes: [], operator: false });

    const denied = await api('/api/tenants', bearer).expect(403);
    expect(denied.body.code).toBe('INSUFFICIENT_SCOPE');
    expect(denied.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="platform:read", error_description="This call needs the platform:read scope."');
  });

  it('tells an app bound to the tenant without roles there 403 insufficient_scope, on the API and at forward-auth on both ports', async () => {
    await logto.admin('POST', `/organizations/${tenant.organizationId}/applications`, { applicationIds: [machine.clientId] });
    const bearer = await token({ organizationId: tenant.organizationId, scope: 'tenant:read' });
    const claims = decodeJwt(bearer);
    expect(claims.organization_id).toBe(tenant.organizationId);
    expect(claims).not.toHaveProperty('scope');

    const me = await api('/api/auth/me', bearer).expect(200);
    expect(me.body).toMatchObject({ kind: 'app', scopes: [], organizationId: tenant.organizationId, tenantId: tenant.id });

    for (const [where, answer] of [
      ['API', await api(`/api/tenants/${tenant.id}`, bearer)],
      ['forward-auth, main port', await verifyOnMainPort(bearer)],
      ['forward-auth, dedicated port', await verifyOnForwardAuthPort(bearer)],
    ] as const) {
      expect({ where, status: answer.status, code: answer.body.code as unknown }).toEqual({ where, status: 403, code: 'INSUFFICIENT_SCOPE' });
      expect(answer.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="tenant:read", error_description="This call needs the tenant:read scope."');
    }
  });

  it('lets the same app in once an organization role of type MachineToMachine grants it tenant:read', async () => {
    const resources = await logto.admin<{ id: string; indicator: string }[]>('GET', '/resources');
    const resourceId = resources.find((resource) => resource.indicator === logto.idp.apiResource)?.id;
    const scope = await logto.admin<{ id: string }>('POST', `/resources/${resourceId}/scopes`, { name: 'tenant:read' });
    const role = await logto.admin<{ id: string }>('POST', '/organization-roles', { name: 'machine reader', type: 'MachineToMachine', resourceScopeIds: [scope.id] });
    await logto.admin('POST', `/organizations/${tenant.organizationId}/applications/${machine.clientId}/roles`, { organizationRoleIds: [role.id] });

    const bearer = await token({ organizationId: tenant.organizationId, scope: 'tenant:read' });
    expect(decodeJwt(bearer).scope).toBe('tenant:read');
    await api(`/api/tenants/${tenant.id}`, bearer).expect(200);
    await verifyOnMainPort(bearer).expect(200);
    await verifyOnForwardAuthPort(bearer).expect(200);
  });
});
