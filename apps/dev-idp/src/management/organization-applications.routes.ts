import type { AccessState, Application } from './access-state';
import { type Body, requireBody, stringArray } from './input-guards';
import { type ManagementState, matchesSearch } from './management-state';
import { paginate, parsePagination } from './pagination';
import { dbConstraintViolated, foreignKeyNotFound, notFound, requireMembership } from './request-error';
import type { RouteTable } from './route-table';

/**
 * Machine-to-machine applications in organizations and their organization roles, as core
 * src/routes/organization/application/index.ts and role-relations.ts. What Logto leaves to its database answers
 * as there (schemas tables/organization_application_relations.sql, organization_role_application_relations.sql):
 * an organization, application or role that does not exist is a foreign-key violation (422
 * `entity.relation_foreign_key_not_found`, core src/routes/organization/utils.ts), an application that is not
 * machine-to-machine or a role not of type MachineToMachine a check violation (422 `entity.db_constraint_violated`);
 * PostgreSQL checks the row before its foreign keys, hence that order. Adding twice is no error
 * (`on conflict do nothing`). What an application obtains with `client_credentials` and `organization_id` follows
 * from here (oidc/create-provider.ts).
 */
export function addOrganizationApplicationRoutes(routes: RouteTable, state: ManagementState, access: AccessState): void {
  // Logto mounts this check on every `/:id/applications/:applicationId/roles` route, ahead of the body guard.
  const requireApplicationMember = (organizationId: string, applicationId: string): Set<string> => {
    const roleIds = state.applicationMembers.get(organizationId)?.get(applicationId);
    if (!roleIds) {
      throw requireMembership();
    }
    return roleIds;
  };

  const addApplications = (organizationId: string, applicationIds: readonly string[]): void => {
    for (const applicationId of applicationIds) {
      const application = access.applications.get(applicationId);
      if (application && application.type !== 'MachineToMachine') {
        throw dbConstraintViolated();
      }
    }
    if (!state.organizations.has(organizationId) || applicationIds.some((applicationId) => !access.applications.has(applicationId))) {
      throw foreignKeyNotFound();
    }
    const members = state.applicationsOf(organizationId);
    for (const applicationId of applicationIds) {
      if (!members.has(applicationId)) {
        members.set(applicationId, new Set());
      }
    }
  };

  routes.add('GET', '/organizations/:id/applications', ({ param, url }) => {
    const pageRequest = parsePagination(url.searchParams);
    const q = url.searchParams.get('q');
    const applications = [...(state.applicationMembers.get(param('id')) ?? new Map<string, Set<string>>())].flatMap(([applicationId, roleIds]) => {
      const application = access.applications.get(applicationId);
      return application && matchesSearch(q, [application.id, application.name, application.description])
        ? [withOrganizationRoles(state, application, roleIds)]
        : [];
    });
    return paginate(applications, pageRequest, url);
  });

  routes.add('POST', '/organizations/:id/applications', ({ param, body }) => {
    addApplications(param('id'), stringArray(requireBody(body), 'applicationIds'));
    return { status: 201 };
  });

  routes.add('PUT', '/organizations/:id/applications', ({ param, body }) => {
    const organizationId = param('id');
    const applicationIds = stringArray(requireBody(body), 'applicationIds', { nonEmpty: false });
    addApplications(organizationId, applicationIds);
    const members = state.applicationsOf(organizationId);
    for (const applicationId of [...members.keys()]) {
      if (!applicationIds.includes(applicationId)) {
        members.delete(applicationId);
      }
    }
    return { status: 204 };
  });

  routes.add('DELETE', '/organizations/:id/applications/:applicationId', ({ param }) => {
    if (!state.applicationMembers.get(param('id'))?.delete(param('applicationId'))) {
      throw notFound();
    }
    return { status: 204 };
  });

  routes.add('GET', '/organizations/:id/applications/:applicationId/roles', ({ param, url }) => {
    const roleIds = requireApplicationMember(param('id'), param('applicationId'));
    const pageRequest = parsePagination(url.searchParams, { optional: true });
    const roles = [...roleIds].flatMap((roleId) => {
      const role = state.roles.get(roleId);
      return role ? [role] : [];
    });
    return paginate(roles, pageRequest, url);
  });

  routes.add('POST', '/organizations/:id/applications/:applicationId/roles', ({ param, body }) => {
    const assigned = requireApplicationMember(param('id'), param('applicationId'));
    organizationRoleIds(state, requireBody(body)).forEach((roleId) => assigned.add(roleId));
    return { status: 201 };
  });

  routes.add('PUT', '/organizations/:id/applications/:applicationId/roles', ({ param, body }) => {
    const assigned = requireApplicationMember(param('id'), param('applicationId'));
    const roleIds = organizationRoleIds(state, requireBody(body));
    assigned.clear();
    roleIds.forEach((roleId) => assigned.add(roleId));
    return { status: 204 };
  });

  routes.add('DELETE', '/organizations/:id/applications/:applicationId/roles/:organizationRoleId', ({ param }) => {
    const assigned = requireApplicationMember(param('id'), param('applicationId'));
    if (!assigned.delete(param('organizationRoleId'))) {
      throw notFound();
    }
    return { status: 204 };
  });
}

/** `organizationRoleIds` (non-empty), each an existing organization role of type MachineToMachine. */
function organizationRoleIds(state: ManagementState, input: Body): string[] {
  const roleIds = stringArray(input, 'organizationRoleIds');
  if (roleIds.some((roleId) => (state.roles.get(roleId)?.type ?? 'MachineToMachine') !== 'MachineToMachine')) {
    throw dbConstraintViolated();
  }
  if (roleIds.some((roleId) => !state.roles.has(roleId))) {
    throw foreignKeyNotFound();
  }
  return roleIds;
}

/**
 * The list entry: the application with its roles in the organization (`{ id, name }` ordered by name, core
 * queries/organization/utils.ts aggregateRoles) and without its secret (core omitInternalApplicationSecret drops
 * the internal secret applications carry since Logto 1.42; secrets are read from the secrets endpoint).
 */
function withOrganizationRoles(state: ManagementState, application: Application, roleIds: ReadonlySet<string>): Record<string, unknown> {
  const { secret: _secret, ...fields } = application;
  const organizationRoles = [...roleIds]
    .flatMap((roleId) => {
      const role = state.roles.get(roleId);
      return role ? [{ id: role.id, name: role.name }] : [];
    })
    .sort((a, b) => a.name.localeCompare(b.name));
  return { ...fields, organizationRoles };
}
